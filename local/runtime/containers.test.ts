import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mountLines, realTarget } from "./containers.js";

describe("a container's mounts", () => {
  const state = mkdtempSync(join(tmpdir(), "steward-mounts-"));
  const dir = (name: string) => {
    const path = join(state, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const hosts = join(state, "hosts");
  writeFileSync(hosts, "");

  it("stages every source before any target is mounted, so a volume at /tmp cannot hide a source under /tmp", () => {
    const lines = mountLines(
      [
        { source: dir("tmp-volume"), target: "/tmp", readOnly: false },
        { source: dir("data"), target: "/var/lib/mysql", readOnly: false },
        { source: hosts, target: "/etc/hosts", readOnly: false },
      ],
      "/run/stage",
    );
    const firstTarget = lines.findIndex((line) => line.includes("--rbind"));
    const sourceBinds = lines.filter((line) => line.startsWith("mount --bind") && line.includes(state));
    expect(sourceBinds).toHaveLength(3);
    expect(lines.slice(0, firstTarget).filter((line) => line.startsWith("mount --bind"))).toEqual(sourceBinds);
    expect(lines.filter((line) => line.includes("--rbind"))).toEqual(["mount --rbind '/run/stage/0' '/tmp'", "mount --rbind '/run/stage/1' '/var/lib/mysql'", "mount --rbind '/run/stage/2' '/etc/hosts'"]);
  });

  it("builds nested mounts inside the parent's staged copy, parents before children, and places a target over the staging directory last", () => {
    const lines = mountLines(
      [
        { source: dir("secret"), target: "/run/secrets/kubernetes.io/serviceaccount", readOnly: true },
        { source: dir("run"), target: "/run", readOnly: false },
        { source: dir("etc-app"), target: "/etc/app", readOnly: true },
        { source: dir("run-app"), target: "/run/app", readOnly: false },
      ],
      "/run/stage",
    );
    const nested = lines.filter((line) => line.startsWith("mount --bind '/run/stage/") || line.startsWith("mkdir -p"));
    expect(nested).toEqual([
      "mkdir -p '/run/stage/1/app'",
      "mount --bind '/run/stage/3' '/run/stage/1/app'",
      "mkdir -p '/run/stage/1/secrets/kubernetes.io/serviceaccount'",
      "mount --bind '/run/stage/0' '/run/stage/1/secrets/kubernetes.io/serviceaccount'",
    ]);
    expect(lines.filter((line) => line.includes("--rbind"))).toEqual(["mount --rbind '/run/stage/2' '/etc/app'", "mount --rbind '/run/stage/1' '/run'"]);
    expect(lines.slice(-2)).toEqual(["mount -o remount,bind,ro '/run/secrets/kubernetes.io/serviceaccount'", "mount -o remount,bind,ro '/etc/app'"]);
  });

  it("sees through symbolic links: a volume at <link>/x that is really over the staging directory goes last", () => {
    const real = dir("real-run");
    const link = join(state, "var-run");
    symlinkSync(real, link);
    expect(realTarget(join(link, "secrets", "token"))).toBe(join(real, "secrets", "token"));
    expect(realTarget("/")).toBe("/");
    const lines = mountLines(
      [
        { source: dir("scratch"), target: join(link, "stage-parent"), readOnly: false },
        { source: dir("other"), target: "/etc/other", readOnly: false },
      ],
      join(real, "stage-parent", "staging"),
    );
    expect(lines.filter((line) => line.includes("--rbind")).map((line) => line.split(" ").pop())).toEqual(["'/etc/other'", `'${join(real, "stage-parent")}'`]);
  });
});
