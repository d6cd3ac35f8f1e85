import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { rootLogger } from "../../../shared/log.js";
import { executeRestore } from "../../../backup/agent/restore-commands.js";
import { storageFromEnvironment } from "../../../backup/agent/environment.js";
import { BOOTSTRAP_ENV } from "../../../backup/cluster-secrets.js";
import type { MysqlFlavor } from "../../../shared/api/index.js";
import { MysqlBackup } from "./mysql-backup.js";
import { startPrivateMariaDb } from "./throwaway.js";

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
 * the empty data directory, the dump is loaded (and binlogs replayed to the point in time),
 * the server stops; start.sh then creates the cluster's own users (initialize.sql) on top.
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
  const instance = await startPrivateMariaDb({ dataDir: options.dataDir, runDir: options.stateDir, log: quiet });
  let restored = false;
  try {
    const outcome = await executeRestore({
      engine: new MysqlBackup("mariadb"),
      storage,
      endpoint: instance.endpoint,
      source: { namespace, name: cluster },
      backup: env[BOOTSTRAP_ENV.backup] || undefined,
      pointInTime: env[BOOTSTRAP_ENV.pointInTime] ? new Date(env[BOOTSTRAP_ENV.pointInTime]!) : undefined,
      replaceExisting: false,
      signal: new AbortController().signal,
      log,
    });
    options.log(`restored ${outcome.tables.length} tables from backup ${outcome.backup.backup} (${outcome.position ?? ""})`);
    restored = true;
  } finally {
    await instance.stop();
    storage.client.destroy();
    // A failed restore must not leave a data directory behind: the next start of the init
    // step would take it for data and serve an empty (or half-loaded) database.
    if (!restored) for (const entry of readdirSync(options.dataDir)) rmSync(join(options.dataDir, entry), { recursive: true, force: true });
  }
  // The new cluster's GTID history starts fresh: its binlog was off during the load.
  return {};
}
