/**
 * Global setup of the "cluster" and "cluster-serial" test projects: one local cluster (control
 * plane, process runtime as its three nodes, S3 as a pod; no operator) for every integration and
 * end-to-end file, torn down at the end. Files read what they need with inject("kubeconfig") etc.
 *
 * It takes the first free slot, so other test runs on the same machine get their own. If vitest
 * is killed, the control plane dies with it (parent-death signal) and the slot's watchdog removes
 * the pods, namespaces, bridge, routes and hosts block.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startLocalCluster, type LocalCluster } from "../../local/cluster.js";
import type { LocalS3 } from "../../local/s3/s3.js";

declare module "vitest" {
  export interface ProvidedContext {
    kubeconfig: string;
    kubectl: string;
    /** The runtime's control socket: faults and exec (local/runtime/control-client.ts). */
    runtimeSocket: string;
    s3: LocalS3;
    slot: number;
    stateDir: string;
    /** The runtime's nodes (steward-local-1..N), for spread and node-loss tests. */
    nodeNames: string[];
  }
}

/**
 * The two cluster projects ("cluster", whose files run two at a time, and "cluster-serial") both
 * name this setup; vitest runs their setups in one process, so they share one cluster through
 * this process-wide handle, stopped when the last project tears down.
 */
interface SharedCluster {
  started: Promise<{ cluster: LocalCluster; stateDir: string }>;
  users: number;
}
const shared = globalThis as { stewardTestCluster?: SharedCluster };

async function startTestCluster(): Promise<{ cluster: LocalCluster; stateDir: string }> {
  const stateDir = mkdtempSync(join(tmpdir(), "steward-test-"));
  const started = Date.now();
  const cluster = await startLocalCluster({
    stateDir,
    // Three nodes, as a small production cluster has: spread and node loss are testable.
    // STEWARD_TEST_NODES=1 measures the one-node setup it replaced.
    nodes: Number(process.env.STEWARD_TEST_NODES ?? 3),
    withS3: true,
    // Tests crash containers on purpose; a 2 s backoff base keeps them quick (the kubelet's is 10 s).
    backoffBaseMs: 2000,
    log: (line) => console.log(`[local cluster] ${line}`),
  });
  console.log(`[local cluster] ready in ${((Date.now() - started) / 1000).toFixed(1)} s on slot ${cluster.slot}; state in ${stateDir}`);
  return { cluster, stateDir };
}

export async function setup(project: TestProject): Promise<void> {
  shared.stewardTestCluster ??= { started: startTestCluster(), users: 0 };
  shared.stewardTestCluster.users++;
  const { cluster, stateDir } = await shared.stewardTestCluster.started;
  project.provide("kubeconfig", cluster.kubeconfig);
  project.provide("kubectl", cluster.kubectl);
  project.provide("runtimeSocket", cluster.runtimeSocket!);
  project.provide("s3", cluster.s3!);
  project.provide("slot", cluster.slot);
  project.provide("stateDir", stateDir);
  project.provide("nodeNames", cluster.nodeNames);
}

export async function teardown(): Promise<void> {
  const handle = shared.stewardTestCluster;
  if (!handle || --handle.users > 0) return;
  shared.stewardTestCluster = undefined;
  const { cluster, stateDir } = await handle.started;
  await cluster.stop();
  if (!process.env.STEWARD_KEEP_TEST_STATE) rmSync(stateDir, { recursive: true, force: true });
}
