import { execFileSync } from "node:child_process";
import { describe, expect, inject, it } from "vitest";
import { pinnedKubernetesVersion } from "../../local/controlplane/binaries.js";

describe("the local control plane", () => {
  it("serves the pinned Kubernetes release, as kubectl reports it", () => {
    const out = execFileSync(inject("kubectl"), ["version", "-o", "json"], { env: { ...process.env, KUBECONFIG: inject("kubeconfig") } }).toString();
    const version = JSON.parse(out) as { serverVersion: { gitVersion: string }; clientVersion: { gitVersion: string } };
    expect(version.serverVersion.gitVersion).toBe(pinnedKubernetesVersion());
    expect(version.clientVersion.gitVersion).toBe(pinnedKubernetesVersion());
  });
});
