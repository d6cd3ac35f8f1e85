/**
 * `steward agent mysql-init`: the init step of every database pod. It decides where the
 * instance's data comes from and leaves markers for start.sh (config.ts), which runs in the
 * engine image and does what needs the server binary:
 * - data present (and no re-seed asked for): nothing to do;
 * - ordinal 0 of a cluster that was never bootstrapped: initialize (initialize.sql), or
 *   restore from a backup when spec.bootstrap is set (the backup engine's hook);
 * - otherwise: copy the primary's data (seed.sql sets the GTID position). It waits, retrying,
 *   until a primary serves a copy: a replica never starts empty beside a primary with data.
 * The mysql flavour initializes every empty instance; the operator clones replicas over SQL.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { MysqlFlavor } from "../../../shared/api/index.js";
import { AGENT_TOKEN_ENV } from "../../common/agent-sidecar.js";
import { ordinalOf } from "../../common/names.js";
import { AGENT_PORT, MYSQL_PATHS, STATE_FILES } from "../names.js";
import { initializeSql, seedSql } from "../users.js";
import { fetchSeed } from "./seed-stream.js";

export interface InitEnvironment {
  podName: string;
  namespace: string;
  flavor: MysqlFlavor;
  bootstrapped: boolean;
  bootstrapSource?: string;
  primaryService: string;
  rootPassword: string;
  replicationPassword: string;
  monitorPassword: string;
  agentToken: string;
  /** Overridable for tests. */
  paths?: { dataDir: string; stateDir: string };
  seedUrl?: string;
  retryDelayMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export type InitOutcome = "existing" | "initialize" | "seeded" | "restored";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; the pod template provides it (operators/mysql/resources/statefulset.ts)`);
  return value;
}

export function initEnvironmentFromProcess(): InitEnvironment {
  return {
    podName: required("POD_NAME"),
    namespace: required("POD_NAMESPACE"),
    flavor: (process.env.STEWARD_FLAVOR === "mariadb" ? "mariadb" : "mysql") as MysqlFlavor,
    bootstrapped: process.env.STEWARD_BOOTSTRAPPED === "true",
    bootstrapSource: process.env.STEWARD_BOOTSTRAP_SOURCE || undefined,
    primaryService: required("STEWARD_PRIMARY_SERVICE"),
    rootPassword: required("STEWARD_ROOT_PASSWORD"),
    replicationPassword: required("STEWARD_REPLICATION_PASSWORD"),
    monitorPassword: required("STEWARD_MONITOR_PASSWORD"),
    agentToken: required(AGENT_TOKEN_ENV),
  };
}

function emptyDirectory(directory: string): void {
  mkdirSync(directory, { recursive: true });
  for (const entry of readdirSync(directory)) rmSync(join(directory, entry), { recursive: true, force: true });
}

export async function runMysqlInit(env: InitEnvironment): Promise<InitOutcome> {
  const dataDir = env.paths?.dataDir ?? MYSQL_PATHS.dataDir;
  const stateDir = env.paths?.stateDir ?? MYSQL_PATHS.stateDir;
  const log = env.log ?? ((line: string) => console.log(line));
  const state = (file: string) => join(stateDir, file);
  mkdirSync(stateDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });

  const reseed = existsSync(state(STATE_FILES.reseed));
  const interrupted = existsSync(state(STATE_FILES.seeding));
  const hasData = existsSync(join(dataDir, "mysql")) || existsSync(state(STATE_FILES.initializeSql));
  if (hasData && !reseed && !interrupted) {
    log(`data present in ${dataDir}; starting with it`);
    return "existing";
  }

  const ordinal = ordinalOf(env.podName);
  const writeInitialize = () => {
    writeFileSync(state(STATE_FILES.initializeSql), initializeSql(env.flavor, { root: env.rootPassword, replication: env.replicationPassword, monitor: env.monitorPassword }), { mode: 0o600 });
  };
  if (env.flavor === "mysql" && !reseed) {
    emptyDirectory(dataDir);
    writeInitialize();
    log("initializing a new mysql instance (replicas are cloned from the primary by the operator)");
    return "initialize";
  }
  if (!env.bootstrapped && ordinal === 0 && !reseed) {
    if (env.bootstrapSource) {
      log(`restoring the first instance from ${env.bootstrapSource}`);
      emptyDirectory(dataDir);
      // Loaded only here: the restore brings the S3 client and the backup pipeline.
      const { restoreMariaDbIntoDataDir } = await import("../backup/bootstrap-restore.js");
      const { gtid } = await restoreMariaDbIntoDataDir({ source: env.bootstrapSource, dataDir, stateDir, flavor: env.flavor, log });
      writeInitialize();
      if (gtid) writeFileSync(state(STATE_FILES.seedSql), seedSql(gtid), { mode: 0o600 });
      return "restored";
    }
    emptyDirectory(dataDir);
    writeInitialize();
    log("initializing the first instance of a new cluster");
    return "initialize";
  }

  writeFileSync(state(STATE_FILES.seeding), new Date().toISOString());
  const url = env.seedUrl ?? `http://${env.primaryService}.${env.namespace}.svc.cluster.local:${AGENT_PORT}/v1/mysql/seed`;
  for (let attempt = 1; ; attempt++) {
    if (env.signal?.aborted) throw new Error("aborted");
    emptyDirectory(dataDir);
    try {
      log(`copying the primary's data from ${url} (attempt ${attempt})`);
      const started = Date.now();
      const gtid = await fetchSeed(url, env.agentToken, dataDir, env.signal);
      writeFileSync(state(STATE_FILES.seedSql), seedSql(gtid), { mode: 0o600 });
      rmSync(state(STATE_FILES.initializeSql), { force: true });
      rmSync(state(STATE_FILES.seeding), { force: true });
      rmSync(state(STATE_FILES.reseed), { force: true });
      log(`copied the primary's data in ${Date.now() - started} ms; replication starts at GTID ${gtid || "(empty)"}`);
      return "seeded";
    } catch (error) {
      log(`could not copy from the primary yet: ${(error as Error).message}; retrying`);
      await sleep(env.retryDelayMs ?? 2000);
    }
  }
}
