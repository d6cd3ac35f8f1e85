import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { restoreBootstrapBackup, restoreIfNeeded } from "./restore.js";

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "steward-redis-init-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const never = async () => {
  throw new Error("must not restore");
};

describe("restoreIfNeeded", () => {
  it("leaves replicas and pods that already hold data alone", async () => {
    expect(await restoreIfNeeded({ podName: "cache-1", dataDir: freshDir(), restore: never, log: () => undefined })).toBe("replica");
    const withData = freshDir();
    writeFileSync(join(withData, "dump.rdb"), "x");
    expect(await restoreIfNeeded({ podName: "cache-0", dataDir: withData, restore: never, log: () => undefined })).toBe("existing");
  });

  it("restores into ordinal 0's empty data directory, and checks the data is there", async () => {
    const lines: string[] = [];
    const restored = await restoreIfNeeded({
      podName: "cache-0",
      dataDir: freshDir(),
      restore: async (dataDir) => {
        writeFileSync(join(dataDir, ".steward-seeded"), "now");
        return "backup nightly";
      },
      log: (line) => lines.push(line),
    });
    expect(restored).toBe("restored");
    expect(lines[0]).toMatch(/^restored backup nightly into /);
    await expect(restoreIfNeeded({ podName: "cache-0", dataDir: freshDir(), restore: async () => "nothing", log: () => undefined })).rejects.toThrow(/holds no Redis data/);
  });
});

describe("restoreBootstrapBackup", () => {
  it("says what is missing when the bootstrap Secret was not mounted, or names a point in time", async () => {
    await expect(restoreBootstrapBackup(freshDir(), {})).rejects.toThrow(/<cluster>-bootstrap is missing/);
    await expect(restoreBootstrapBackup(freshDir(), { STEWARD_BOOTSTRAP_NAMESPACE: "shop", STEWARD_BOOTSTRAP_CLUSTER: "cache", STEWARD_BOOTSTRAP_POINT_IN_TIME: "2026-11-25T10:00:00Z" })).rejects.toThrow(/point in time/);
  });
});
