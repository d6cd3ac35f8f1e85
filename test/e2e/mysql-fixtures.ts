/**
 * Shared by the MySQL end-to-end files and the MySQL benchmark: an operator running the MySQL
 * engine in this process, DatabaseCluster helpers, a writer that records every acknowledged
 * id written through the primary Service (with only the connection Secret), and a watcher of
 * what the primary Service selects.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createConnection, type Connection as SqlConnection } from "mysql2/promise";
import type { DatabaseCluster } from "../../shared/api/index.js";
import { KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import { readSecret } from "../../shared/secrets.js";
import { createOperator } from "../../operators/operator.js";
import { mysqlEngine } from "../../operators/mysql/engine.js";
import type { Manager } from "../../shared/runtime/manager.js";
import { ensureCrds, percentile, readCluster, watchPrimaryService } from "./redis-fixtures.js";

// Engine-neutral helpers the Redis files wrote first: CRDs, reading the cluster, watching the primary Service.
export { percentile, readCluster, watchPrimaryService };

export interface MysqlOperator {
  client: KubeClient;
  stop(): Promise<void>;
}

/** The operator (only the MySQL engine), reconciling one namespace, in this process. */
export async function startMysqlOperator(kubeconfig: string, namespace: string): Promise<MysqlOperator> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  await ensureCrds(client);
  const manager: Manager = createOperator({
    client,
    namespace,
    leaderElection: false,
    leaseNamespace: namespace,
    leaseName: "steward-operator",
    engines: { mysql: mysqlEngine() },
    handleSignals: false,
  });
  await manager.start();
  return { client, stop: () => manager.stop() };
}

export interface ProvisionedCluster {
  namespace: string;
  operator: MysqlOperator;
  connection: Connection;
  remove(): Promise<void>;
}

/** A fresh namespace, the operator for it, and a Ready 3-node MariaDB cluster named `name` in it. */
export async function provisionMariadbCluster(
  kubeconfig: string,
  freshNamespace: (prefix: string) => Promise<{ namespace: string; remove: () => Promise<void> }>,
  apply: (objects: object[]) => Promise<void>,
  prefix: string,
  name: string,
): Promise<ProvisionedCluster> {
  const { namespace, remove } = await freshNamespace(prefix);
  const operator = await startMysqlOperator(kubeconfig, namespace);
  await apply([mariadbCluster(namespace, name)]);
  await waitForReady(operator.client, namespace, name, 3, 240_000);
  const connection = await connectionOf(operator.client, namespace, name);
  return {
    namespace,
    operator,
    connection,
    remove: async () => {
      await operator.stop();
      await remove();
    },
  };
}

export function mariadbCluster(namespace: string, name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "steward.dev/v1alpha1",
    kind: "DatabaseCluster",
    metadata: { name, namespace },
    spec: { engine: "mysql", flavor: "mariadb", version: "10.11", replicas: 3, storage: { size: "1Gi" }, failover: { delaySeconds: 1, dataLoss: "none" }, ...spec },
  };
}

/** Ready, with every instance ready, every replica streaming and no promotion in progress. */
export async function waitForReady(client: KubeClient, namespace: string, name: string, replicas: number, timeoutMs: number): Promise<DatabaseCluster> {
  const deadline = Date.now() + timeoutMs;
  let last: DatabaseCluster | undefined;
  for (;;) {
    last = await readCluster(client, namespace, name);
    const status = last?.status;
    const replicating = status?.conditions?.find((condition) => condition.type === "Replicating")?.status === "True";
    const instances = status?.instances ?? [];
    const allUp = instances.length >= replicas && instances.filter((instance) => instance.ready).length >= replicas;
    if (status?.phase === "Ready" && status.readyReplicas === replicas && replicating && allUp && status.currentPrimary && !status.targetPrimary) return last!;
    if (Date.now() > deadline) throw new Error(`${namespace}/${name} did not become Ready: ${JSON.stringify(status ?? {}, null, 1).slice(0, 4000)}`);
    await sleep(250);
  }
}

export interface Connection {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
  uri: string;
}

export async function connectionOf(client: KubeClient, namespace: string, name: string): Promise<Connection> {
  const values = await readSecret(client, namespace, `${name}-conn`);
  if (!values) throw new Error(`no connection Secret ${name}-conn`);
  return { host: values.host!, port: Number(values.port), username: values.username!, password: values.password!, database: values.database!, uri: values.uri! };
}

export function connect(connection: Connection, host = connection.host): Promise<SqlConnection> {
  return createConnection({ host, port: connection.port, user: connection.username, password: connection.password, database: connection.database, connectTimeout: 1000 });
}

/**
 * Inserts ids over and over through `host` (the primary Service), reconnecting after any
 * error; an id counts as acknowledged only when the INSERT returned OK (with semi-sync: a
 * replica has it). Each statement times out after 2 s (a blocked commit is not acknowledged).
 */
export function startWriter(connection: Connection, table = "ids") {
  const acknowledged: { id: number; at: number }[] = [];
  let stopped = false;
  let errors = 0;
  let next = 1;
  const loop = (async () => {
    let sql: SqlConnection | undefined;
    while (!stopped) {
      try {
        if (!sql) {
          sql = await connect(connection);
          sql.on("error", () => undefined);
        }
        const id = next++;
        await sql.query({ sql: `INSERT INTO ${table} (id) VALUES (?)`, values: [id], timeout: 2000 });
        acknowledged.push({ id, at: Date.now() });
      } catch {
        errors++;
        sql?.destroy();
        sql = undefined;
        await sleep(20);
      }
    }
    sql?.destroy();
  })();
  return {
    acknowledged,
    errors: () => errors,
    firstAckAfter: (since: number) => acknowledged.find((entry) => entry.at > since)?.at,
    /** The longest gap between two acknowledgements within [from, to] (ms). */
    longestGap: (from: number, to: number) => {
      const times = acknowledged.map((entry) => entry.at).filter((at) => at >= from && at <= to);
      let gap = 0;
      for (let index = 1; index < times.length; index++) gap = Math.max(gap, times[index]! - times[index - 1]!);
      return gap;
    },
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** Acknowledged ids missing from the table, read through the primary Service. */
export async function missingIds(connection: Connection, ids: number[], table = "ids"): Promise<number[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const sql = await connect(connection);
      try {
        const [rows] = await sql.query(`SELECT id FROM ${table}`);
        const present = new Set((rows as { id: number }[]).map((row) => Number(row.id)));
        return ids.filter((id) => !present.has(id));
      } finally {
        sql.destroy();
      }
    } catch (error) {
      if (attempt >= 20) throw error;
      await sleep(500);
    }
  }
}

/** Creates the writer's table through the primary Service. */
export async function createIdsTable(connection: Connection, table = "ids"): Promise<void> {
  const sql = await connect(connection);
  try {
    await sql.query(`CREATE TABLE IF NOT EXISTS ${table} (id BIGINT PRIMARY KEY, at TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP(6))`);
  } finally {
    sql.destroy();
  }
}

/** Kills the primary's server process and waits until another instance is primary and a write was acknowledged. */
export async function killPrimaryAndWait(
  client: KubeClient,
  namespace: string,
  name: string,
  writer: ReturnType<typeof startWriter>,
  crash: (pod: string) => Promise<void>,
  timeoutMs = 60_000,
): Promise<{ killed: string; promoted: string; failoverMs: number }> {
  const before = (await readCluster(client, namespace, name))!.status!.currentPrimary!;
  // The clock starts once the runtime has SIGKILLed the process: writes acknowledged while the
  // request was on its way came from the old primary.
  await crash(before);
  const killedAt = Date.now();
  let after = before;
  const deadline = Date.now() + timeoutMs;
  while (after === before || !writer.firstAckAfter(killedAt)) {
    if (Date.now() > deadline) throw new Error(`no new primary with an acknowledged write ${timeoutMs / 1000} s after killing ${before}: ${JSON.stringify((await readCluster(client, namespace, name))?.status ?? {}).slice(0, 3000)}`);
    await sleep(50);
    after = (await readCluster(client, namespace, name))!.status!.currentPrimary!;
  }
  return { killed: before, promoted: after, failoverMs: writer.firstAckAfter(killedAt)! - killedAt };
}
