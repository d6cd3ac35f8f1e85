import type { Readable } from "node:stream";
import type { V1EnvVar } from "@kubernetes/client-node";
import type { DatabaseCluster } from "../shared/api/index.js";
import type { Logger } from "../shared/log.js";
import type { BackupManifest, BackupPosition, LogSegmentManifest } from "./manifest.js";

/**
 * The engine-neutral backup interface. backup/ (the agent, the pipeline, the controllers)
 * only talks to engines through it and never names one: each engine folder implements
 * `EngineBackupSupport` (operators/<engine>/backup/), its registry entry (operators/engines.ts)
 * hands it over, and the operator and the agent pass the registry's map down. Shaped to fit:
 *   MySQL/MariaDB  dump = mariadb-dump/mysqldump stream; load = mariadb client; logs = binlogs
 *   Redis          dump = `redis-cli --rdb -`; load offline (RDB file into dataDir before start)
 *   MongoDB        dump = every database through the driver as Extended JSON lines (documented in the MongoDB engine folder); load = the driver; logs = oplog slices
 *   RabbitMQ       dump = GET /api/definitions; load = POST /api/definitions or offline at boot
 * Bytes go in and out as Node streams: the pipeline adds compression, encryption and S3.
 */

/** How the agent reaches the database it backs up or restores into. No value here is ever logged. */
export interface EngineEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** Unix socket, when the agent runs beside the engine. */
  socket?: string;
  /** A file with the CA (PEM): connect over TLS and verify the server's certificate and name with it. */
  caFile?: string;
  /** Engine-specific extras (e.g. a TLS mode, the management port of RabbitMQ). */
  options?: Record<string, string>;
}

export interface EngineIdentity {
  engine: string;
  flavor?: string;
  /** The server's version, e.g. 10.11.19 */
  version: string;
  /** The engine's own figure for the size of what a backup holds, if it has one: sizes the upload's parts. */
  dataBytes?: number;
}

export interface DumpOptions {
  endpoint: EngineEndpoint;
  method: "logical" | "physical";
  /** Physical only: copy just what changed since this backup (an incremental on top of it). */
  parent?: BackupManifest;
  signal: AbortSignal;
  log: Logger;
}

export interface DumpHandle {
  /** The dump's bytes, as the engine's tool writes them. */
  stream: Readable;
  /** Short extension for the data object, e.g. ".sql", ".rdb", ".archive", ".json". */
  extension: string;
  contentType: string;
  /** Tool name and version, for the manifest. */
  producer: string;
  /**
   * Resolves once the stream has ended and the tool exited cleanly; rejects with the tool's
   * own error (exit code and the end of its stderr) otherwise. The pipeline waits for both
   * the upload and this before it writes a manifest.
   */
  done: Promise<void>;
  /** When the data is consistent (the snapshot's start); known once `done` resolved. */
  consistentAt(): Date;
  /** Where the dump is consistent (GTID set, offset, oplog time); known once `done` resolved. */
  position(): BackupPosition;
  /**
   * Asked for an incremental copy: whether it is one (known once `done` resolved). The engine
   * may take a full copy instead when the parent cannot be built on (e.g. it was copied from
   * an instance that is gone); the manifest then records no chain.
   */
  incremental?(): boolean;
  /** Per-table checksums of exactly what the dump holds, when the engine could record them (known once `done` resolved). */
  checksums?(): TableChecksum[] | undefined;
}

export interface LoadOptions {
  /** Online load into a running engine. */
  endpoint?: EngineEndpoint;
  /** Offline load into a data directory before the engine starts (Redis RDB, RabbitMQ definitions at boot). */
  dataDir?: string;
  /** Remove the target's existing user data first, so the result equals the backup (in-place restores). */
  replaceExisting?: boolean;
  /** How the stream was made: physical copies go into `dataDir` (offline), layer by layer. */
  method?: "logical" | "physical";
  /** Physical chains: which copy of the chain this is (0 = the full base), of how many. */
  layer?: { index: number; count: number };
  /** Scratch space beside dataDir (same volume) for incremental layers while they are applied. */
  workDir?: string;
  signal: AbortSignal;
  log: Logger;
}

/** One table's (collection's, keyspace's) checksum, to compare a restore with its source. */
export interface TableChecksum {
  table: string;
  checksum: string;
}

export interface VerifyOptions {
  endpoint: EngineEndpoint;
  signal: AbortSignal;
}

/** A closed log segment on the engine's side, ready to archive. */
export interface LocalLogSegment {
  name: string;
  size: number;
}

/** What a segment's bytes told us while they streamed past (times, positions), for its manifest. */
export interface SegmentBounds {
  firstEventAt?: Date;
  lastEventAt?: Date;
  startPosition?: string;
  endPosition?: string;
}

/** Watches a segment's bytes as they stream to S3, without holding them. */
export interface SegmentScanner {
  update(chunk: Buffer): void;
  result(): SegmentBounds;
}

export interface LogSource {
  /** Which server's log this is; stable across restarts of the process, new when the server's log history restarts. */
  streamId(): Promise<string>;
  /** Whether this instance should archive now (MySQL: only the writable primary). */
  shouldArchive(): Promise<boolean>;
  /** Closes the current segment when it holds writes that have waited at least maxAgeMs; says whether it did. */
  rotateIfDue(maxAgeMs: number, now: Date): Promise<boolean>;
  /** Closed segments, oldest first. */
  closedSegments(): Promise<LocalLogSegment[]>;
  openSegment(name: string): Readable;
  scanner(): SegmentScanner;
  /** A moment before which every committed transaction is in a closed segment (for "archived until"). */
  closedUntil(now: Date): Promise<Date | undefined>;
  close(): Promise<void>;
}

export interface ReplayOptions {
  endpoint: EngineEndpoint;
  /** Where the base backup is consistent: replay skips what it already holds. */
  from: BackupPosition;
  /** Replay transactions committed up to and including this instant (the engine's time resolution applies). */
  stopAt: Date;
  signal: AbortSignal;
  log: Logger;
}

export interface ArchivedSegment {
  manifest: LogSegmentManifest;
  /** Decrypted and decompressed bytes, opened only when the replay reaches the segment. */
  open(): Promise<Readable>;
}

export interface PointInTimeRecovery {
  logSource(endpoint: EngineEndpoint, options: { dataDir?: string; log: Logger }): Promise<LogSource>;
  /** Applies the segments (oldest first) on top of a loaded base backup; returns the position reached. */
  replay(segments: ArchivedSegment[], options: ReplayOptions): Promise<BackupPosition>;
}

/** A private, empty instance of the engine to restore into and check (backup verification). */
export interface ThrowawayInstance {
  endpoint: EngineEndpoint;
  stop(): Promise<void>;
}

export interface EngineBackup {
  readonly engine: string;
  identify(endpoint: EngineEndpoint, signal: AbortSignal): Promise<EngineIdentity>;
  dump(options: DumpOptions): Promise<DumpHandle>;
  /** Loads a dump's bytes; resolves when the engine accepted all of it. */
  load(stream: Readable, options: LoadOptions): Promise<void>;
  /** Per-table checksums of everything a backup holds, for verification and restore reports. */
  checksums(options: VerifyOptions): Promise<TableChecksum[]>;
  /**
   * Starts a private instance with its data in `throwawayDataDir(workDir)`: empty (logical
   * restores load into it), or, with `restoredData`, on the physical copy restored there.
   */
  throwaway?(workDir: string, log: Logger, options?: { restoredData?: boolean }): Promise<ThrowawayInstance>;
  /** Where throwaway(workDir) keeps its data (physical restores unpack there first). */
  throwawayDataDir?(workDir: string): string;
  /** Present for engines that can recover to a point in time. */
  pointInTime?: PointInTimeRecovery;
  /**
   * True where a physical copy can only become a server's data directory before it starts (a
   * prepared InnoDB copy): such a backup restores into a new cluster or a throwaway, never into
   * a running server. An engine whose physical format a running server loads (Redis RDB) leaves
   * it unset.
   */
  readonly physicalRestoresOffline?: boolean;
  /**
   * In-place restores of such a copy (opt-in, as for logical ones): `load` with
   * `replaceExisting` and an endpoint hands each copy of the chain to the instance behind it,
   * which prepares it beside its data; `activate` then stops that instance, makes the copy its
   * data and starts it (resolves once it answers); after the replay and the checksums,
   * `reseedOthers` has every other instance copy it again (they hold the history it replaced).
   */
  readonly physicalInPlace?: {
    activate(endpoint: EngineEndpoint, options: { signal: AbortSignal; log: Logger }): Promise<void>;
    reseedOthers(endpoint: EngineEndpoint, options: { signal: AbortSignal; log: Logger }): Promise<string[]>;
  };
}

/**
 * How a backup, restore or checksum Job reaches an engine's cluster: the agent's arguments
 * (--engine, --host, --port, ...) and its environment (the database user, and the password from
 * the cluster's credentials Secret by reference).
 */
export interface EngineJobTarget {
  args: string[];
  env: V1EnvVar[];
  /** The agent's command in the Job's image, when not `steward agent` (an engine built outside this repository). */
  agentCommand?: string[];
}

/** An engine's backup facet, as the controllers (Jobs) and the agent (the data path) use it. */
export interface EngineBackupSupport {
  /** How Jobs reach `cluster`; `host` replaces the default address (e.g. the primary's own). */
  jobTarget(cluster: DatabaseCluster, host?: string): EngineJobTarget;
  /** The current primary's own address, for in-place restores (the primary Service is fenced meanwhile). */
  primaryHost?(cluster: DatabaseCluster): string | undefined;
  /** The data path, loaded on demand: a Job loads only its own engine's client library. */
  load(flavor?: string): Promise<EngineBackup>;
}

/** The backup facet of each engine that has one, by engine name (from the registry). */
export type BackupEngines = Readonly<Record<string, EngineBackupSupport | undefined>>;

/** The facet of `engine`, or an error that says the engine has no backups in this build. */
export function backupSupportOf(engines: BackupEngines, engine: string): EngineBackupSupport {
  const support = engines[engine];
  if (!support) throw new Error(`engine ${engine} has no backups in this build of Steward (engines with backups: ${Object.keys(engines).filter((name) => engines[name]).join(", ") || "none"})`);
  return support;
}
