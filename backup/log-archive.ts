import { PassThrough, Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Logger } from "../shared/log.js";
import type { ArchivedSegment, LogSource } from "./engine-backup.js";
import { createCompressStream, type Compression } from "./format/compression.js";
import { MeasureStream } from "./format/measure.js";
import {
  MANIFEST_FORMAT,
  archiverState,
  archiverStateKey,
  logSegmentKeys,
  logSegmentManifest,
  logsPrefix,
  type ArchiverState,
  type ClusterRef,
  type LogSegmentManifest,
} from "./manifest.js";
import { byteCounter, openStoredObject, storedObjectOf, type StorageContext } from "./pipeline.js";
import { createEncryptStream } from "./format/encryption.js";
import { forEachObject, getText, putText, uploadStream } from "./s3/objects.js";
import { CLOCK_SLACK_MS, segmentsToRead, type ListedSegment } from "./planning/restore-plan.js";
import { findMissingSegments, type ArchiveHole } from "./planning/archive-gaps.js";

export interface ArchiveOptions {
  engine: string;
  storage: StorageContext;
  cluster: ClusterRef;
  compression: Compression;
  /** A commit waits at most this long before its segment is closed (then uploaded). */
  maxSegmentAgeMs: number;
  log: Logger;
  now?: () => Date;
}

/** Uploads one closed segment and then its manifest (the manifest's presence means the segment is whole). */
export async function archiveSegment(source: Pick<LogSource, "scanner" | "openSegment">, stream: string, name: string, options: ArchiveOptions): Promise<LogSegmentManifest> {
  const { client, target, key } = options.storage;
  const keys = logSegmentKeys(target.prefix, options.cluster, stream, name, options.compression, key !== undefined);
  const scanner = source.scanner();
  let rawBytes = 0;
  const observe = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        scanner.update(chunk);
        callback(null, chunk);
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  const stored = new MeasureStream();
  const body = new PassThrough();
  const stages: (Readable | Transform)[] = [source.openSegment(name), observe, byteCounter((total) => (rawBytes = total)), createCompressStream(options.compression)];
  if (key) stages.push(createEncryptStream(key));
  stages.push(stored, body);
  await Promise.all([
    pipeline(stages as unknown as [Readable, PassThrough]).catch((error: unknown) => {
      body.destroy(error as Error);
      throw error;
    }),
    uploadStream(client, target.bucket, keys.data, body, { contentType: "application/octet-stream" }).catch((error: unknown) => {
      body.destroy();
      throw error;
    }),
  ]);
  const bounds = scanner.result();
  const manifest: LogSegmentManifest = {
    format: MANIFEST_FORMAT,
    kind: "LogSegment",
    engine: options.engine,
    cluster: options.cluster,
    stream,
    segment: name,
    firstEventAt: bounds.firstEventAt?.toISOString(),
    lastEventAt: bounds.lastEventAt?.toISOString(),
    startPosition: bounds.startPosition,
    endPosition: bounds.endPosition,
    archivedAt: (options.now ?? (() => new Date()))().toISOString(),
    data: storedObjectOf(keys.data, stored, rawBytes, options.compression, key, "application/octet-stream"),
  };
  await putText(client, target.bucket, keys.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * Archived segments' manifests for a cluster, all streams. With `forRestore`, only those a
 * restore from that base backup to that point can need, and each stream's newest
 * (segmentsToRead): a long archive costs a listing, not a GET per segment.
 */
export async function listArchivedSegments(storage: StorageContext, cluster: ClusterRef, forRestore?: { baseConsistentAt: Date; pointInTime: Date }): Promise<LogSegmentManifest[]> {
  const prefix = logsPrefix(storage.target.prefix, cluster);
  const listed: ListedSegment[] = [];
  await forEachObject(storage.client, storage.target.bucket, prefix, (object) => {
    if (!object.key.endsWith(".json") || object.key.endsWith("/archiver.json")) return;
    const [stream, segment] = object.key.slice(prefix.length, -".json".length).split("/");
    if (stream && segment) listed.push({ stream, segment, storedAt: object.lastModified });
  });
  const streams = forRestore ? segmentsToRead(listed, forRestore.baseConsistentAt) : [listed];
  const stopAfter = forRestore ? forRestore.pointInTime.getTime() + CLOCK_SLACK_MS : Infinity;
  const manifests: LogSegmentManifest[] = [];
  const read = (segment: ListedSegment) => readSegmentManifest(storage, `${prefix}${segment.stream}/${segment.segment}.json`);
  for (const stream of streams) {
    for (const segment of stream.slice(0, -1)) {
      const manifest = await read(segment);
      if (!manifest) continue;
      manifests.push(manifest);
      // The following segments start after the point.
      if (manifest.firstEventAt && new Date(manifest.firstEventAt).getTime() > stopAfter) break;
    }
    // The newest always: where the recoverable window ends.
    const newest = stream.length > 0 ? await read(stream.at(-1)!) : undefined;
    if (newest) manifests.push(newest);
  }
  return manifests;
}

async function readSegmentManifest(storage: StorageContext, key: string): Promise<LogSegmentManifest | undefined> {
  const text = await getText(storage.client, storage.target.bucket, key);
  if (text === undefined) return undefined;
  const parsed = logSegmentManifest.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

export async function listArchiverStates(storage: StorageContext, cluster: ClusterRef): Promise<ArchiverState[]> {
  const prefix = logsPrefix(storage.target.prefix, cluster);
  const keys: string[] = [];
  await forEachObject(storage.client, storage.target.bucket, prefix, (object) => void (object.key.endsWith("/archiver.json") && keys.push(object.key)));
  const states: ArchiverState[] = [];
  for (const key of keys) {
    const text = await getText(storage.client, storage.target.bucket, key);
    const parsed = text === undefined ? undefined : archiverState.safeParse(JSON.parse(text));
    if (parsed?.success) states.push(parsed.data);
  }
  return states;
}

/**
 * What the window computation needs from S3, in one listing: every archiver's state, and the
 * holes in each stream's segments with the times around them (two manifest reads per hole;
 * an archive without holes costs the listing and the states only).
 */
export async function readArchiveReach(storage: StorageContext, cluster: ClusterRef): Promise<{ states: ArchiverState[]; holes: ArchiveHole[] }> {
  const prefix = logsPrefix(storage.target.prefix, cluster);
  const stateKeys: string[] = [];
  const listed: ListedSegment[] = [];
  await forEachObject(storage.client, storage.target.bucket, prefix, (object) => {
    if (object.key.endsWith("/archiver.json")) return void stateKeys.push(object.key);
    if (!object.key.endsWith(".json")) return;
    const [stream, segment] = object.key.slice(prefix.length, -".json".length).split("/");
    if (stream && segment) listed.push({ stream, segment, storedAt: object.lastModified });
  });
  const states: ArchiverState[] = [];
  for (const key of stateKeys) {
    const text = await getText(storage.client, storage.target.bucket, key);
    const parsed = text === undefined ? undefined : archiverState.safeParse(JSON.parse(text));
    if (parsed?.success) states.push(parsed.data);
  }
  // Holes an archiver recorded itself (a log that rolled over unarchived: MongoDB's oplog).
  const holes: ArchiveHole[] = states.flatMap((state) =>
    (state.gaps ?? []).flatMap((gap) =>
      gap.lastArchivedAt && gap.nextArchivedAt ? [{ stream: state.stream, after: gap.after, before: gap.before, count: 0, lastArchivedAt: new Date(gap.lastArchivedAt), nextArchivedAt: new Date(gap.nextArchivedAt), description: `${state.stream}: ${gap.message}` }] : [],
    ),
  );
  for (const missing of findMissingSegments(listed)) {
    const read = (segment: string) => readSegmentManifest(storage, `${prefix}${missing.stream}/${segment}.json`);
    const storedAt = (segment: string) => listed.find((item) => item.stream === missing.stream && item.segment === segment)?.storedAt;
    const [after, before] = [await read(missing.after), await read(missing.before)];
    const lastArchivedAt = after?.lastEventAt ?? after?.archivedAt ?? storedAt(missing.after)?.toISOString();
    const nextArchivedAt = before?.firstEventAt ?? before?.archivedAt ?? storedAt(missing.before)?.toISOString();
    if (lastArchivedAt && nextArchivedAt) holes.push({ ...missing, lastArchivedAt: new Date(lastArchivedAt), nextArchivedAt: new Date(nextArchivedAt) });
  }
  return { states, holes };
}

/** Segments as the engine's replay takes them: each opened (downloaded, checked, decrypted, decompressed) when reached. */
export function toArchivedSegments(storage: StorageContext, manifests: LogSegmentManifest[], signal?: AbortSignal): ArchivedSegment[] {
  return manifests.map((manifest) => ({ manifest, open: () => openStoredObject(storage, manifest.data, { signal }) }));
}

const STATE_EVERY_MS = 10_000;

/**
 * One pass of the archiver: rotate the current segment when due, upload every closed segment
 * not yet in S3, then record how far the archive reaches. Run every second by the sidecar.
 */
export class LogArchiver {
  private archived?: Set<string>;
  private stream?: string;
  private lastSegment?: string;
  private stateWrittenAt = 0;

  constructor(
    private readonly source: LogSource,
    private readonly options: ArchiveOptions,
  ) {}

  /** maxSegmentAgeMs 0 closes the current segment now (a last pass before the sidecar stops). */
  async pass(override: { maxSegmentAgeMs?: number } = {}): Promise<{ archived: string[]; active: boolean }> {
    const now = (this.options.now ?? (() => new Date()))();
    if (!(await this.source.shouldArchive())) return { archived: [], active: false };
    this.stream ??= await this.source.streamId();
    const { target, client } = this.options.storage;
    if (!this.archived) {
      // Only the names of binlogs still on this server matter: a long archive is not held in memory.
      const prefix = logSegmentKeys(target.prefix, this.options.cluster, this.stream, "", "none", false).manifest.replace(/\.json$/, "");
      const local = new Set((await this.source.closedSegments()).map((segment) => segment.name));
      const archived = new Set<string>();
      await forEachObject(client, target.bucket, prefix, (object) => {
        const name = object.key.slice(prefix.length, -".json".length);
        if (object.key.endsWith(".json") && local.has(name)) archived.add(name);
      });
      this.archived = archived;
    }
    await this.source.rotateIfDue(override.maxSegmentAgeMs ?? this.options.maxSegmentAgeMs, now);
    const uploaded: string[] = [];
    for (const segment of await this.source.closedSegments()) {
      if (this.archived.has(segment.name)) continue;
      await archiveSegment(this.source, this.stream, segment.name, this.options);
      this.archived.add(segment.name);
      uploaded.push(segment.name);
      this.options.log.info({ segment: segment.name, bytes: segment.size }, "Archived a log segment");
    }
    this.lastSegment = uploaded.at(-1) ?? this.lastSegment;
    const until = await this.source.closedUntil(now);
    // "Archived until" moves every pass; writing it every 10 s (or after an upload) is plenty.
    if (until && (uploaded.length > 0 || now.getTime() - this.stateWrittenAt >= STATE_EVERY_MS)) {
      const state: ArchiverState = { format: MANIFEST_FORMAT, kind: "ArchiverState", stream: this.stream, archivedUntil: until.toISOString(), lastSegment: this.lastSegment };
      await putText(client, target.bucket, archiverStateKey(target.prefix, this.options.cluster, this.stream), JSON.stringify(state));
      this.stateWrittenAt = now.getTime();
    }
    return { archived: uploaded, active: true };
  }
}
