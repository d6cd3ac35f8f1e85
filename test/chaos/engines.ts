/**
 * What the chaos scenarios need of each engine with a primary: the cluster to create, when it
 * is Ready, a writer that records every acknowledged write (the ledger) through the primary
 * Service, the check of the ledger afterwards, and a probe that says whether one pod, reached
 * at its own address, accepts a write right now (for the double-primary sampler).
 */
import { Redis } from "ioredis";
import { createConnection, type Connection as SqlConnection } from "mysql2/promise";
import type { DatabaseCluster } from "../../shared/api/index.js";
import type { KubeClient, KubeObject } from "../../shared/k8s/client.js";
import type { EngineRegistry } from "../../operators/engine.js";
import { mysqlEngine } from "../../operators/mysql/engine.js";
import { redisEngine } from "../../operators/redis/engine.js";
import { startAcknowledgedWriter, type AcknowledgedWriter, type Connection, type WriterSession } from "../e2e/cluster-fixtures.js";
import * as mysql from "../e2e/mysql-fixtures.js";
import * as redis from "../e2e/redis-fixtures.js";

/** Whether one pod accepts a write now; false on any refusal or after `timeoutMs`. */
export interface WriteProbe {
  acceptsWrite(timeoutMs: number): Promise<boolean>;
  close(): void;
}

export interface ChaosEngine {
  name: "redis" | "mariadb";
  /** The engine container of a pod (for crash faults). */
  container: string;
  engines: () => EngineRegistry;
  /** The cluster's object; `spec` replaces top-level fields of the chaos default. */
  cluster(namespace: string, name: string, spec?: Record<string, unknown>): KubeObject;
  waitReady(client: KubeClient, namespace: string, name: string, timeoutMs: number): Promise<DatabaseCluster>;
  /** Run once before writing (tables). */
  prepare(connection: Connection): Promise<void>;
  /** Acknowledged writes through the primary Service, as the e2e tests and benches write them. */
  writer(connection: Connection): AcknowledgedWriter;
  missingIds(connection: Connection, ids: number[]): Promise<number[]>;
  /**
   * A writer with the driver's defaults (no timeout of our own), as a new user writes: only
   * its timing is read (its writes go to keys/rows the ledger does not check).
   */
  defaultsWriter(connection: Connection): AcknowledgedWriter;
  probe(connection: Connection, podIp: string): WriteProbe;
}

/**
 * A writer whose sessions are closed when it stops: a driver without timeouts can wait for ever
 * on a write sent into a cut link, and stop() would wait with it.
 */
function abandonableWriter(open: () => Promise<WriterSession>): AcknowledgedWriter {
  const sessions = new Set<WriterSession>();
  const writer = startAcknowledgedWriter(async () => {
    const session = await open();
    sessions.add(session);
    return {
      write: (id) => session.write(id),
      close: () => {
        sessions.delete(session);
        session.close();
      },
    };
  }, 25);
  return {
    ...writer,
    stop: async () => {
      const stopping = writer.stop();
      for (const session of sessions) session.close();
      await stopping;
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("probe timed out")), ms))]);
}

/** A Redis pod accepts a write when SET on it succeeds: a replica says READONLY, a fenced primary NOREPLICAS. */
function redisProbe(connection: Connection, podIp: string): WriteProbe {
  let client: Redis | undefined;
  const open = () => {
    // Addressed by IP, which the certificate does not name: the chain is verified, the name is not.
    const tls = connection.ca ? { tls: { ca: connection.ca, checkServerIdentity: () => undefined } } : {};
    const created = new Redis({ host: podIp, port: connection.port, ...tls, username: connection.username, password: connection.password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, connectTimeout: 300 });
    created.on("error", () => undefined);
    return created;
  };
  return {
    async acceptsWrite(timeoutMs) {
      try {
        if (!client) {
          client = open();
          await withTimeout(client.connect(), timeoutMs);
        }
        await withTimeout(client.set(`chaos:probe:${podIp}`, String(Date.now())), timeoutMs);
        return true;
      } catch {
        client?.disconnect();
        client = undefined;
        return false;
      }
    },
    close: () => client?.disconnect(),
  };
}

/**
 * A MariaDB pod accepts a write when an INSERT on it returns OK: a replica refuses (read_only),
 * a primary whose semi-sync waits for a replica that is not there does not answer in time.
 */
function mariadbProbe(connection: Connection, podIp: string): WriteProbe {
  let sql: SqlConnection | undefined;
  return {
    async acceptsWrite(timeoutMs) {
      try {
        if (!sql) {
          sql = await withTimeout(createConnection({ host: podIp, port: connection.port, user: connection.username, password: connection.password, database: connection.database, connectTimeout: timeoutMs }), timeoutMs);
          sql.on("error", () => undefined);
        }
        await sql.query({ sql: "REPLACE INTO chaos_probe (pod, at) VALUES (?, NOW(6))", values: [podIp], timeout: timeoutMs });
        return true;
      } catch {
        sql?.destroy();
        sql = undefined;
        return false;
      }
    },
    close: () => sql?.destroy(),
  };
}

export const CHAOS_ENGINES: Record<ChaosEngine["name"], ChaosEngine> = {
  redis: {
    name: "redis",
    container: "redis",
    engines: () => ({ redis: redisEngine() }),
    cluster: (namespace, name, spec) => redis.redisCluster(namespace, name, spec),
    waitReady: (client, namespace, name, timeoutMs) => redis.waitForReady(client, namespace, name, 3, timeoutMs),
    prepare: async () => {},
    writer: (connection) => redis.startWriter(connection),
    missingIds: (connection, ids) => redis.missingIds(connection, ids),
    defaultsWriter: (connection) =>
      abandonableWriter(async () => {
        const client = new Redis({ host: connection.host, port: connection.port, username: connection.username, password: connection.password });
        client.on("error", () => undefined);
        return {
          write: async (id) => {
            await client.set(`defaults:${id}`, String(id));
            return (await client.wait(1, 500)) >= 1;
          },
          close: () => client.disconnect(),
        };
      }),
    probe: redisProbe,
  },
  mariadb: {
    name: "mariadb",
    container: "database",
    engines: () => ({ mysql: mysqlEngine() }),
    cluster: (namespace, name, spec) => mysql.mariadbCluster(namespace, name, spec),
    waitReady: (client, namespace, name, timeoutMs) => mysql.waitForReady(client, namespace, name, 3, timeoutMs),
    prepare: async (connection) => {
      // Right after Ready the Service's endpoints may still be moving: retry for a while.
      for (let attempt = 1; ; attempt++) {
        try {
          await mysql.createIdsTable(connection);
          const sql = await mysql.connect(connection);
          try {
            await sql.query("CREATE TABLE IF NOT EXISTS chaos_probe (pod VARCHAR(64) PRIMARY KEY, at TIMESTAMP(6))");
          } finally {
            sql.destroy();
          }
          return;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    },
    writer: (connection) => mysql.startWriter(connection),
    missingIds: (connection, ids) => mysql.missingIds(connection, ids),
    defaultsWriter: (connection) =>
      abandonableWriter(async () => {
        const sql = await createConnection({ host: connection.host, port: connection.port, user: connection.username, password: connection.password, database: connection.database });
        sql.on("error", () => undefined);
        return {
          write: async (id) => {
            await sql.query("REPLACE INTO chaos_probe (pod, at) VALUES (?, NOW(6))", [`defaults-${id % 100}`]);
            return true;
          },
          close: () => sql.destroy(),
        };
      }),
    probe: mariadbProbe,
  },
};
