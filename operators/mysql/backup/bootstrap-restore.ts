import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { rootLogger } from "../../../shared/log.js";
import { executeRestore } from "../../../backup/agent/restore-commands.js";
import { writeTerminationMessage } from "../../../backup/agent/reporter.js";
import { describeFailure } from "../../../backup/pipeline.js";
import { storageFromEnvironment } from "../../../backup/agent/environment.js";
import { BOOTSTRAP_ENV } from "../../../backup/cluster-secrets.js";
import type { MysqlFlavor } from "../../../shared/api/index.js";
import { MysqlBackup } from "./mysql-backup.js";
import { startPrivateMariaDb } from "./throwaway.js";
import { withConnection } from "./connection.js";
import type { EngineEndpoint } from "../../../backup/engine-backup.js";

/**
 * A physical copy carries the source cluster's accounts and replication state. A restored
 * cluster has its own credentials and starts a fresh GTID history, as after a logical
 * restore: every account but the local root and mariadb.sys is dropped (start.sh then creates
 * root, replication and monitor with this cluster's passwords; the operator the application
 * user), and the source's replication position is forgotten.
 */
async function forgetSourceIdentity(endpoint: EngineEndpoint): Promise<void> {
  await withConnection(endpoint, async (connection) => {
    // The server runs with --skip-grant-tables: this loads them so account statements work.
    await connection.query("FLUSH PRIVILEGES");
    const [rows] = await connection.query("SELECT User AS user, Host AS host FROM mysql.global_priv WHERE NOT ((User = 'root' AND Host = 'localhost') OR User = 'mariadb.sys')");
    for (const row of rows as { user: string; host: string }[]) await connection.query("DROP USER ?@?", [row.user, row.host]);
    await connection.query("DELETE FROM mysql.gtid_slave_pos");
  });
}

/** spec.bootstrap of a new cluster: what the first instance's init step restores, and where. */
export interface RestoreIntoDataDirOptions {
  /** spec.bootstrap.source as JSON. */
  source: string;
  dataDir: string;
  stateDir: string;
  flavor: MysqlFlavor;
  log: (line: string) => void;
}

/**
 * spec.bootstrap for MariaDB: the first instance of the new cluster is restored in its init
 * step, before the server ever serves. A private mariadbd (socket only, no binlog) runs on
 * the empty data directory and the dump is loaded, or, for a physical backup, runs on the
 * prepared chain; binlogs are replayed to the point in time, the server stops; start.sh then creates the cluster's own
 * users (initialize.sql) on top.
 * Replicas are seeded from this primary as for any new cluster.
 */
export async function restoreMariaDbIntoDataDir(options: RestoreIntoDataDirOptions): Promise<{ gtid?: string }> {
  if (options.flavor !== "mariadb") throw new Error("restoring a new cluster from a backup is implemented for the mariadb flavour only");
  const env = process.env;
  const namespace = env[BOOTSTRAP_ENV.namespace];
  const cluster = env[BOOTSTRAP_ENV.cluster];
  if (!namespace || !cluster) throw new Error(`the init step has no ${BOOTSTRAP_ENV.cluster}: the Secret <cluster>-bootstrap is missing (the backup controllers write it)`);
  const log = rootLogger.child({ step: "bootstrap-restore" });
  const quiet = pino({ level: "silent" });
  const storage = storageFromEnvironment();
  let restored = false;
  try {
    const outcome = await executeRestore({
      engine: new MysqlBackup("mariadb"),
      storage,
      // Logical: a private mariadbd on the empty data directory loads the dump. Physical: the
      // chain is unpacked and prepared there, then the private mariadbd starts on it.
      offline: {
        dataDir: options.dataDir,
        workDir: options.stateDir,
        start: async ({ restoredData }) => {
          const instance = await startPrivateMariaDb({ dataDir: options.dataDir, runDir: options.stateDir, log: quiet, restoredData });
          if (!restoredData) return instance;
          const stop = async () => {
            try {
              await forgetSourceIdentity(instance.endpoint);
            } finally {
              await instance.stop();
            }
          };
          return { endpoint: instance.endpoint, stop };
        },
      },
      source: { namespace, name: cluster },
      backup: env[BOOTSTRAP_ENV.backup] || undefined,
      pointInTime: env[BOOTSTRAP_ENV.pointInTime] ? new Date(env[BOOTSTRAP_ENV.pointInTime]!) : undefined,
      replaceExisting: false,
      signal: new AbortController().signal,
      log,
    });
    options.log(`restored ${outcome.tables.length} tables from ${outcome.backup.method} backup ${outcome.backup.backup} (${outcome.position ?? ""})`);
    restored = true;
  } catch (error) {
    // The step names what to look at (plan, download, load, start, replay, verify); the
    // restore controller quotes the termination message when the init step keeps failing.
    const { step, message } = describeFailure(error, "restore");
    log.error({ step, err: message }, `The restore into the first instance failed at ${step}`);
    writeTerminationMessage(`${step}: ${message}`);
    throw error;
  } finally {
    storage.client.destroy();
    // A failed restore must not leave a data directory behind: the next start of the init
    // step would take it for data and serve an empty (or half-loaded) database.
    if (!restored) {
      for (const entry of readdirSync(options.dataDir)) rmSync(join(options.dataDir, entry), { recursive: true, force: true });
      for (const entry of readdirSync(options.stateDir).filter((name) => name.startsWith("incremental-"))) rmSync(join(options.stateDir, entry), { recursive: true, force: true });
    }
  }
  // The new cluster's GTID history starts fresh: its binlog was off during the load.
  return {};
}
