/**
 * Shared by the MySQL end-to-end files and the MySQL benchmark, on top of cluster-fixtures.ts:
 * an operator running the MySQL engine in this process, a Ready MariaDB cluster, Ready as the
 * MySQL engine reports it, SQL through the connection Secret, and a writer that records every
 * acknowledged id written through the primary Service.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createConnection, type Connection as SqlConnection } from "mysql2/promise";
import type { DatabaseCluster } from "../../shared/api/index.js";
import type { KubeClient, KubeObject } from "../../shared/k8s/client.js";
import { mysqlEngine } from "../../operators/mysql/engine.js";
import { FAST_FAILOVER, connectionOf, databaseClusterObject, startAcknowledgedWriter, startInProcessOperator, waitForCluster, type Connection, type InProcessOperator } from "./cluster-fixtures.js";

export type MysqlOperator = InProcessOperator;

/** The operator (only the MySQL engine), reconciling one namespace, in this process. */
export function startMysqlOperator(kubeconfig: string, namespace: string): Promise<MysqlOperator> {
  return startInProcessOperator(kubeconfig, namespace, { mysql: mysqlEngine() });
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
  spec: Record<string, unknown> = {},
): Promise<ProvisionedCluster> {
  const { namespace, remove } = await freshNamespace(prefix);
  const operator = await startMysqlOperator(kubeconfig, namespace);
  await apply([mariadbCluster(namespace, name, spec)]);
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
  return databaseClusterObject(namespace, name, { engine: "mysql", flavor: "mariadb", version: "10.11", replicas: 3, storage: { size: "1Gi" }, failover: FAST_FAILOVER, ...spec });
}

/** Ready, with every instance ready, every replica streaming and no promotion in progress. */
export function waitForReady(client: KubeClient, namespace: string, name: string, replicas: number, timeoutMs: number): Promise<DatabaseCluster> {
  const ready = ({ status }: DatabaseCluster) => {
    const replicating = status?.conditions?.find((condition) => condition.type === "Replicating")?.status === "True";
    const instances = status?.instances ?? [];
    const allUp = instances.length >= replicas && instances.filter((instance) => instance.ready).length >= replicas;
    return Boolean(status?.phase === "Ready" && status.readyReplicas === replicas && replicating && allUp && status.currentPrimary && !status.targetPrimary);
  };
  return waitForCluster(client, namespace, name, timeoutMs, ready, (last) => `: ${JSON.stringify(last?.status ?? {}, null, 1).slice(0, 4000)}`);
}

/** As an application would: over TLS, verifying the server with the Secret's ca.crt, when the cluster serves TLS. */
export function connect(connection: Connection, host = connection.host): Promise<SqlConnection> {
  return createConnection({
    host,
    port: connection.port,
    user: connection.username,
    password: connection.password,
    database: connection.database,
    connectTimeout: 1000,
    ...(connection.ca ? { ssl: { ca: connection.ca, rejectUnauthorized: true } } : {}),
  });
}

/**
 * Inserts ids over and over through `host` (the primary Service), reconnecting after any
 * error; an id counts as acknowledged only when the INSERT returned OK (with semi-sync: a
 * replica has it). Each statement times out after 2 s (a blocked commit is not acknowledged).
 */
export function startWriter(connection: Connection, table = "ids") {
  return startAcknowledgedWriter(async () => {
    const sql = await connect(connection);
    sql.on("error", () => undefined);
    return {
      write: async (id) => {
        await sql.query({ sql: `INSERT INTO ${table} (id) VALUES (?)`, values: [id], timeout: 2000 });
        return true;
      },
      close: () => sql.destroy(),
    };
  });
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
