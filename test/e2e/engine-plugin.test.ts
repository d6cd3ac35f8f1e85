/**
 * Engines plug in whole: given a throwaway engine (test/fixtures/memo-engine: a folder with its
 * plugin, and a registry made of this build's engines plus that plugin), when the operator and
 * the agent are handed that registry, then a cluster of it is reconciled to Ready, a
 * DatabaseBackup of it completes through the agent's pipeline (a Job on the local cluster
 * streaming to the local S3), and an in-place DatabaseRestore of it brings deleted data back.
 * No file outside the engine's folder names it.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { databaseBackup, databaseCluster, databaseRestore } from "../../shared/api/index.js";
import { KubeClient, RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import type { Manager } from "../../shared/runtime/manager.js";
import { loadClusterEngines } from "../../operators/engine.js";
import { createOperator } from "../../operators/operator.js";
import { MEMO_PORT, memoNames } from "../fixtures/memo-engine/engine.js";
import { memoPlugin, withMemo } from "../fixtures/memo-engine/plugin.js";
import { createLocalBackupStorage, ensureCrds } from "./cluster-fixtures.js";
import { freshNamespace, waitFor } from "./local-fixtures.js";

const CLUSTER = "notes";
let client: KubeClient;
let namespace = "";
let removeNamespace: () => Promise<void> = async () => {};
let operator: Manager | undefined;

async function phaseOf(resource: "DatabaseCluster" | "DatabaseBackup" | "DatabaseRestore", name: string): Promise<string | undefined> {
  const raw = await client.get<KubeObject>(RESOURCES[resource], namespace, name);
  return (raw?.status as { phase?: string } | undefined)?.phase;
}

async function waitPhase(resource: "DatabaseCluster" | "DatabaseBackup" | "DatabaseRestore", name: string, phases: string[], timeoutMs: number): Promise<string> {
  let phase: string | undefined;
  await waitFor(`${resource} ${name} ${phases.join("|")}`, async () => phases.includes((phase = await phaseOf(resource, name)) ?? ""), timeoutMs, 500);
  return phase!;
}

function memoUrl(path: string): string {
  const names = memoNames({ metadata: { name: CLUSTER, namespace } } as never);
  return `http://${names.podHost(names.pod(0))}:${MEMO_PORT}${path}`;
}

async function put(key: string, value: string): Promise<void> {
  const response = await fetch(memoUrl(`/kv/${key}`), { method: "PUT", body: value });
  expect(response.status).toBe(200);
}

async function keys(): Promise<number> {
  return ((await (await fetch(memoUrl("/checksum"))).json()) as { keys: number }).keys;
}

beforeAll(async () => {
  client = KubeClient.fromKubeconfig(inject("kubeconfig"));
  await ensureCrds(client);
  ({ namespace, remove: removeNamespace } = await freshNamespace("plugin"));
  await createLocalBackupStorage(client, namespace, inject("s3"), { name: "store", prefix: "plugin/" });
  operator = createOperator({ client, namespace, leaderElection: false, leaseNamespace: namespace, leaseName: "steward", handleSignals: false, engines: await loadClusterEngines([memoPlugin]), plugins: withMemo });
  await operator.start();
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await removeNamespace();
  await client?.close();
});

describe("a fifth engine plugged in through the registry alone", () => {
  it("gets its cluster reconciled to Ready", async () => {
    await client.create({
      apiVersion: "steward.dev/v1alpha1",
      kind: "DatabaseCluster",
      metadata: { name: CLUSTER, namespace },
      spec: { engine: memoPlugin.name, version: "7.0", replicas: 1, storage: { size: "1Gi" }, backup: { storage: "store" } },
    });
    expect(await waitPhase("DatabaseCluster", CLUSTER, ["Ready", "Failed"], 120_000)).toBe("Ready");
    const cluster = databaseCluster.parse(await client.get(RESOURCES.DatabaseCluster, namespace, CLUSTER));
    expect(cluster.status?.instances).toEqual([expect.objectContaining({ name: `${CLUSTER}-0`, ready: true })]);
    expect(await client.get(RESOURCES.Secret, namespace, cluster.status!.connectionSecret!)).toBeDefined();
  });

  it("backs it up through the agent's pipeline into S3", async () => {
    for (let i = 0; i < 50; i++) await put(`note-${i}`, `text of note ${i}`);
    await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name: "notes-1", namespace }, spec: { cluster: CLUSTER } });
    const phase = await waitPhase("DatabaseBackup", "notes-1", ["Completed", "Failed"], 180_000);
    const backup = databaseBackup.parse(await client.get(RESOURCES.DatabaseBackup, namespace, "notes-1"));
    expect(phase, JSON.stringify(backup.status?.error ?? backup.status?.conditions)).toBe("Completed");
    expect(backup.status).toMatchObject({ engine: "memo", checksum: expect.stringMatching(/^sha256:/), location: expect.stringMatching(/^s3:\/\//) });
    expect(backup.status?.size).toBeGreaterThan(0);
  });

  it("restores it in place, bringing deleted data back", async () => {
    const load = await fetch(memoUrl("/load?replace=1"), { method: "POST", body: "" });
    expect(load.status).toBe(200);
    expect(await keys()).toBe(0);
    await client.create({
      apiVersion: "steward.dev/v1alpha1",
      kind: "DatabaseRestore",
      metadata: { name: "notes-back", namespace },
      spec: { source: { backup: "notes-1" }, target: { inPlace: true, confirmOverwrite: true } },
    });
    const phase = await waitPhase("DatabaseRestore", "notes-back", ["Completed", "Failed"], 180_000);
    const restore = databaseRestore.parse(await client.get(RESOURCES.DatabaseRestore, namespace, "notes-back"));
    expect(phase, JSON.stringify(restore.status?.error ?? restore.status?.conditions)).toBe("Completed");
    expect(await keys()).toBe(50);
    expect(await (await fetch(memoUrl("/kv/note-7"))).text()).toBe("text of note 7");
  });
});
