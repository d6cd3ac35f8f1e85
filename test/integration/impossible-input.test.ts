/**
 * Resources the API server must accept (they are well formed) but that cannot be carried out,
 * against the real API server with the operator's controllers running in this process: each
 * ends Failed, or waits, with a status that says what to fix, and nothing else breaks.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { startInProcessOperator, type InProcessOperator } from "../e2e/cluster-fixtures.js";
import { useTestNamespace, waitFor } from "./runtime-fixtures.js";

const test = useTestNamespace("impossible", { crds: true });
let operator: InProcessOperator | undefined;

type WithStatus = KubeObject & { status?: { phase?: string; error?: { step: string; message: string }; conditions?: { type: string; status: string; reason: string; message: string }[] } };

const resource = (kind: string, name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: "steward.dev/v1alpha1", kind, metadata: { name, namespace: test.namespace }, spec });

async function statusOf(type: typeof RESOURCES.DatabaseRestore, name: string, until: (object: WithStatus) => boolean): Promise<WithStatus> {
  let last: WithStatus | undefined;
  await waitFor(`${name}'s status`, async () => {
    last = await test.client.get<WithStatus>(type, test.namespace, name);
    return Boolean(last && until(last));
  }, 30_000, 200).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; last status ${JSON.stringify(last?.status)}`);
  });
  return last!;
}

beforeAll(async () => {
  operator = await startInProcessOperator(inject("kubeconfig"), test.namespace, {});
});

afterAll(async () => {
  await operator?.stop();
});

describe("well-formed resources that cannot be carried out", () => {
  it("a restore of a backup that was deleted ends Failed, naming the backup", async () => {
    await test.client.create(resource("DatabaseBackup", "gone", { cluster: "orders" }));
    await test.client.delete(RESOURCES.DatabaseBackup, test.namespace, "gone");
    await test.client.create(resource("DatabaseRestore", "from-gone", { source: { backup: "gone" } }));
    const restore = await statusOf(RESOURCES.DatabaseRestore, "from-gone", (object) => object.status?.phase === "Failed");
    expect(restore.status?.error).toMatchObject({ step: "source", message: expect.stringMatching(/DatabaseBackup gone does not exist/) });
  });

  it("a point-in-time restore from a cluster that does not archive its log ends Failed, naming the field to set", async () => {
    await test.client.create(resource("DatabaseCluster", "plain", { engine: "mysql", paused: true }));
    await test.client.create(resource("DatabaseRestore", "to-a-time", { source: { cluster: "plain", pointInTime: "2026-01-01T00:00:00Z" } }));
    const restore = await statusOf(RESOURCES.DatabaseRestore, "to-a-time", (object) => object.status?.phase === "Failed");
    expect(restore.status?.error?.message).toMatch(/spec\.backup\.pointInTime\.enabled: true/);
  });

  it("a point-in-time restore to a time nothing can recover ends Failed before anything is created, naming the window", async () => {
    await test.client.create(resource("DatabaseCluster", "archiving", { engine: "mysql", paused: true, backup: { storage: "somewhere", pointInTime: { enabled: true } } }));
    await test.client.create(resource("DatabaseRestore", "to-nothing", { source: { cluster: "archiving", pointInTime: "2026-01-01T00:00:00Z" }, target: { newCluster: "from-nothing" } }));
    const restore = await statusOf(RESOURCES.DatabaseRestore, "to-nothing", (object) => object.status?.phase === "Failed");
    expect(restore.status?.error).toMatchObject({ step: "source", message: expect.stringMatching(/^2026-01-01T00:00:00Z cannot be recovered: nothing is recoverable yet \(no Completed backup\)/) });
    expect(await test.client.get(RESOURCES.DatabaseCluster, test.namespace, "from-nothing")).toBeUndefined();
  });

  it("a storage whose credentials Secret is missing is Unavailable, naming the Secret; a backup to it fails saying why", async () => {
    await test.client.create(resource("BackupStorage", "nocreds", { s3: { endpoint: "https://s3.invalid:9000", bucket: "backups", credentialsSecret: { name: "not-there" } } }));
    const storage = await statusOf(RESOURCES.BackupStorage, "nocreds", (object) => object.status?.phase === "Unavailable");
    expect(storage.status?.conditions?.find((c) => c.type === "Available")?.message).toMatch(/not-there/);
    await test.client.create(resource("DatabaseCluster", "orders", { engine: "mysql", paused: true }));
    await test.client.create(resource("DatabaseBackup", "to-nocreds", { cluster: "orders", storage: "nocreds" }));
    // Its Job could never start (the Secret it mounts is missing): the backup must not sit Running.
    const backup = await statusOf(RESOURCES.DatabaseBackup, "to-nocreds", (object) => object.status?.phase === "Failed");
    expect(backup.status?.error).toMatchObject({ step: "prepare", message: expect.stringMatching(/Secret .*\/not-there does not exist/) });
  });
});
