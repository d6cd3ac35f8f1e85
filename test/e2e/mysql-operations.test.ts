/**
 * Day-2 operations of the MySQL engine (MariaDB 10.11) end to end on the local cluster, each
 * under continuous writes through the primary Service, each ending Ready with no acknowledged
 * write lost. Runbook:
 * - scale 3 -> 5: the new pods copy the primary through its agent and replicate;
 *   scale 5 -> 3 while the primary is one of the removed pods: the operator switches over to a
 *   kept pod first, then the StatefulSet removes the highest ordinals;
 * - a config change (spec.config) rolls the replicas one at a time, then switches over, then
 *   restarts the old primary; every instance ends with the new setting;
 * - a full-cluster crash (every pod's processes killed at once) recovers by itself, with the
 *   most advanced instance as primary.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ANNOTATIONS } from "../../shared/api/index.js";
import { RESOURCES } from "../../shared/k8s/client.js";
import { apply, restrictedNamespace, runtime } from "./local-fixtures.js";
import { readCluster, type Connection } from "./cluster-fixtures.js";
import { connect, createIdsTable, missingIds, startWriter, waitForReady, provisionMariadbCluster, type ProvisionedCluster, type MysqlOperator } from "./mysql-fixtures.js";

const NAME = "shop";
let namespace = "";
let operator: MysqlOperator;
let connection: Connection;
let provisioned: ProvisionedCluster | undefined;

beforeAll(async () => {
  provisioned = await provisionMariadbCluster(inject("kubeconfig"), restrictedNamespace, apply, "mysqlops", NAME);
  ({ namespace, operator, connection } = provisioned);
}, 300_000);

afterAll(async () => {
  await provisioned?.remove();
});

async function underLoad(table: string, action: () => Promise<void>): Promise<{ acknowledged: number; errors: number }> {
  await createIdsTable(connection, table);
  const writer = startWriter(connection, table);
  try {
    await sleep(1000);
    await action();
    await sleep(1000);
  } finally {
    await writer.stop();
  }
  const ids = writer.acknowledged.map((entry) => entry.id);
  expect(ids.length).toBeGreaterThan(20);
  expect(await missingIds(connection, ids, table)).toEqual([]);
  return { acknowledged: ids.length, errors: writer.errors() };
}

async function patchSpec(spec: Record<string, unknown>): Promise<void> {
  await operator.client.mergePatch(RESOURCES.DatabaseCluster, namespace, NAME, { spec });
}

async function podVariable(pod: string, variable: string): Promise<string> {
  const sql = await connect(connection, `${pod}.${NAME}-headless.${namespace}.svc.cluster.local`);
  try {
    const [rows] = await sql.query(`SELECT @@${variable} AS value`);
    return String((rows as { value: unknown }[])[0]?.value);
  } finally {
    sql.destroy();
  }
}

describe("given a 3-node MariaDB cluster under write load", () => {
  it("scales out to 5 (new pods copy the primary) and back in to 3, switching the primary off a removed pod first", async () => {
    const result = await underLoad("scale_ids", async () => {
      await patchSpec({ replicas: 5 });
      const five = await waitForReady(operator.client, namespace, NAME, 5, 240_000);
      expect(five.status?.instances?.filter((instance) => instance.role === "replica")).toHaveLength(4);
      // Put the primary on a pod that scaling in removes.
      await operator.client.mergePatch(RESOURCES.DatabaseCluster, namespace, NAME, { metadata: { annotations: { [ANNOTATIONS.switchover]: `${NAME}-4` } } });
      const deadline = Date.now() + 60_000;
      while ((await readCluster(operator.client, namespace, NAME))?.status?.currentPrimary !== `${NAME}-4`) {
        if (Date.now() > deadline) throw new Error("no switchover to shop-4");
        await sleep(200);
      }
      await waitForReady(operator.client, namespace, NAME, 5, 120_000);
      await patchSpec({ replicas: 3 });
      const three = await waitForReady(operator.client, namespace, NAME, 3, 240_000);
      expect(["shop-0", "shop-1", "shop-2"]).toContain(three.status?.currentPrimary);
      const deadlinePods = Date.now() + 120_000;
      while ((await operator.client.list(RESOURCES.Pod, namespace, { labelSelector: "steward.dev/cluster=shop" })).items.length !== 3) {
        if (Date.now() > deadlinePods) throw new Error("pods 3 and 4 were not removed");
        await sleep(500);
      }
      const set = await operator.client.get<{ spec?: { replicas?: number } } & import("../../shared/k8s/client.js").KubeObject>(RESOURCES.StatefulSet, namespace, NAME);
      expect(set?.spec?.replicas).toBe(3);
    });
    console.log(`scale 3 -> 5 -> 3: ${result.acknowledged} acknowledged writes, none lost (${result.errors} failed attempts during switchovers)`);
  });

  it("rolls a config change replicas first, then switches over, then restarts the old primary", async () => {
    const before = (await readCluster(operator.client, namespace, NAME))!.status!.currentPrimary!;
    const result = await underLoad("rolling_ids", async () => {
      await patchSpec({ config: { max_connections: "321" } });
      const deadline = Date.now() + 300_000;
      for (;;) {
        const values = await Promise.all([0, 1, 2].map((ordinal) => podVariable(`${NAME}-${ordinal}`, "max_connections").catch(() => "?")));
        const cluster = (await readCluster(operator.client, namespace, NAME))!;
        if (values.every((value) => value === "321") && cluster.status?.phase === "Ready") break;
        if (Date.now() > deadline) throw new Error(`the config change did not roll out: ${values.join(", ")}; ${JSON.stringify(cluster.status?.conditions)}`);
        await sleep(1000);
      }
    });
    const after = await waitForReady(operator.client, namespace, NAME, 3, 120_000);
    expect(after.status?.currentPrimary).not.toBe(before);
    const events = (await operator.client.list<{ reason?: string; note?: string } & import("../../shared/k8s/client.js").KubeObject>(RESOURCES.Event, namespace)).items;
    const rolled = events.filter((event) => event.reason === "RollingUpdate").map((event) => event.note ?? "");
    expect(rolled.length).toBeGreaterThanOrEqual(3);
    console.log(`rolling config change: ${result.acknowledged} acknowledged writes, none lost; primary ${before} -> ${after.status?.currentPrimary}`);
  });

  it("recovers from a full-cluster crash with the most advanced instance as primary", async () => {
    const result = await underLoad("crash_ids", async () => {
      await Promise.all([0, 1, 2].map((ordinal) => runtime().killPod({ namespace, pod: `${NAME}-${ordinal}` })));
      await sleep(2000);
      const recovered = await waitForReady(operator.client, namespace, NAME, 3, 180_000);
      const positions = recovered.status!.instances!.map((instance) => `${instance.name}=${instance.position}`);
      console.log(`after the full-cluster crash: primary ${recovered.status?.currentPrimary}; ${positions.join(", ")}`);
    });
    console.log(`full-cluster crash: ${result.acknowledged} acknowledged writes, none lost`);
  });
});
