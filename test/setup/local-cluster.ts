/**
 * Global setup of the "cluster" test project: one local cluster for every integration and
 * end-to-end file (they run one at a time), torn down at the end. Files read what they need
 * with inject("kubeconfig").
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startControlPlane, type RunningControlPlane } from "../../local/controlplane/launcher.js";

declare module "vitest" {
  export interface ProvidedContext {
    kubeconfig: string;
    kubectl: string;
  }
}

let controlPlane: RunningControlPlane | undefined;
let stateDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  stateDir = mkdtempSync(join(tmpdir(), "steward-test-"));
  controlPlane = await startControlPlane({ stateDir, serviceCidr: "10.96.0.0/24", log: (line) => console.log(`[local cluster] ${line}`) });
  project.provide("kubeconfig", controlPlane.kubeconfig);
  project.provide("kubectl", controlPlane.binaries.kubectl);
}

export async function teardown(): Promise<void> {
  await controlPlane?.stop();
  if (stateDir && !process.env.STEWARD_KEEP_TEST_STATE) rmSync(stateDir, { recursive: true, force: true });
}
