/**
 * Point in time for MongoDB: the archiver the `mongodb-oplog-archiver` sidecar runs beside
 * each mongod. Only the member that is the writable primary tails its `local.oplog.rs`
 * (oplog-tailer.ts), so the set's history is archived once; every member's sidecar checks
 * each pass and the one that becomes primary takes over. Slices are uploaded with the binlog
 * archive's conventions (backup/log-archive.ts: data object, then its LogSegment manifest, then
 * the stream's ArchiverState): stream = the member's pod, segment = the slice's name,
 * startPosition (exclusive) / endPosition = oplog positions "t:i".
 *
 * Where a tail starts: after the newest slice archived by ANY member (read from S3), so a new
 * primary continues the chain the old one left; with no archive yet, from the oldest entry
 * still in the oplog (as MySQL's archiver uploads every binlog still on the server). When the
 * oplog no longer holds that entry the break is recorded in the stream's ArchiverState
 * (`gaps`), where status and restores see it; a restore never crosses it (planOplogReplay).
 *
 * Slices wait in memory until uploaded; while the queue is full the tail waits (the oplog on
 * the member is the buffer, as binlogs on the volume are for MySQL).
 *
 * Only majority-committed entries are uploaded: a slice waits until the member's
 * `hello.lastWrite.majorityOpTime` reaches its end, because entries beyond it may be rolled
 * back by a failover and never have existed in the set's history. When the member stops being
 * primary its slices not yet committed are dropped; the new primary's archiver continues from
 * the archive's end with its own oplog. (A server that reports no majority point, FerretDB, is
 * taken as committing everything.)
 */
import { Readable } from "node:stream";
import { BSON, type Document, type MongoClient } from "mongodb";
import type { SegmentBounds, SegmentScanner } from "../../../backup/engine-backup.js";
import { archiveSegment, listArchiverStates, type ArchiveOptions } from "../../../backup/log-archive.js";
import { MANIFEST_FORMAT, archiverStateKey, logSegmentKeys, logSegmentManifest, type ArchiverState } from "../../../backup/manifest.js";
import { getText, putText } from "../../../backup/s3/objects.js";
import { formatOpTime, justBefore, parseOpTime, type OplogGap, type SliceBounds } from "../oplog-slices.js";
import { compareOpTime, type OpTime } from "../status.js";
import { tailOplog, type OplogSlice } from "./oplog-tailer.js";

const MAX_QUEUED_SLICES = 8;
const STATE_EVERY_MS = 10_000;
const GAPS_KEPT = 20;

export interface OplogArchiverOptions extends Omit<ArchiveOptions, "maxSegmentAgeMs"> {
  /** This member's stream (its pod name). */
  stream: string;
  limits: { maxAgeMs: number; maxBytes: number };
  idleWaitMs?: number;
}

type StateGap = NonNullable<ArchiverState["gaps"]>[number];

/** The newest slice end any member archived, from each stream's ArchiverState and that slice's manifest. */
export async function archivedOplogEnd(options: Pick<OplogArchiverOptions, "storage" | "cluster">): Promise<OpTime | undefined> {
  const { storage, cluster } = options;
  let newest: OpTime | undefined;
  for (const state of await listArchiverStates(storage, cluster)) {
    if (!state.lastSegment) continue;
    const key = logSegmentKeys(storage.target.prefix, cluster, state.stream, state.lastSegment, "none", false).manifest;
    const text = await getText(storage.client, storage.target.bucket, key);
    const manifest = text === undefined ? undefined : logSegmentManifest.safeParse(JSON.parse(text));
    const end = manifest?.success && manifest.data.endPosition ? parseOpTime(manifest.data.endPosition) : undefined;
    if (end && (!newest || compareOpTime(end, newest) > 0)) newest = end;
  }
  return newest;
}

/** `hello.lastWrite.majorityOpTime.ts` of a replica-set member: every entry up to it is on a majority and survives failovers. */
export function majorityCommitPoint(hello: Document): OpTime | undefined {
  const ts = (hello.lastWrite as { majorityOpTime?: { ts?: unknown } } | undefined)?.majorityOpTime?.ts;
  return ts instanceof BSON.Timestamp ? { t: ts.t, i: ts.i } : undefined;
}

/** Whether a slice ending at `end` may be uploaded; without a majority point (not a replica set) everything may. */
export function majorityCommitted(end: OpTime, majority: OpTime | undefined): boolean {
  return majority === undefined || compareOpTime(end, majority) <= 0;
}

/**
 * The slices between the tail and S3, under the majority rule: they are uploaded oldest first,
 * each once the member's majority commit point reaches its end; after a step-down the ones it
 * does not reach are dropped (they may be rolled back, and the new primary archives the
 * history from the archive's end). Kept apart from the archiver's I/O so the rule is tested
 * on recorded hello documents.
 */
export class SliceQueue<T extends { bounds: { end: OpTime } }> {
  readonly slices: T[] = [];
  /** The member's majority commit point, from its last hello; undefined when it reports none. */
  private majority?: OpTime;

  /** Reads one hello: records the majority commit point; whether this member is the writable primary. */
  observe(hello: Document): boolean {
    this.majority = majorityCommitPoint(hello);
    return hello.isWritablePrimary === true;
  }

  /** The oldest slice, when it may be uploaded now (a later one never goes before it). */
  next(): T | undefined {
    const first = this.slices[0];
    return first && majorityCommitted(first.bounds.end, this.majority) ? first : undefined;
  }

  /** After a step-down: removes and returns the slices the majority commit point does not reach. */
  dropUncommitted(): T[] {
    const dropped = this.slices.filter((slice) => !majorityCommitted(slice.bounds.end, this.majority));
    const kept = this.slices.filter((slice) => majorityCommitted(slice.bounds.end, this.majority));
    this.slices.splice(0, this.slices.length, ...kept);
    return dropped;
  }
}

async function oldestOplogEntry(client: MongoClient): Promise<OpTime | undefined> {
  const first = await client.db("local").collection("oplog.rs").find({}, { sort: { $natural: 1 }, limit: 1, projection: { ts: 1 } }).next();
  return first?.ts instanceof BSON.Timestamp ? { t: first.ts.t, i: first.ts.i } : undefined;
}

function boundsOf(bounds: SliceBounds): SegmentBounds {
  return {
    firstEventAt: bounds.firstWall ?? new Date(bounds.end.t * 1000),
    lastEventAt: bounds.lastWall ?? new Date(bounds.end.t * 1000),
    startPosition: formatOpTime(bounds.start),
    endPosition: formatOpTime(bounds.end),
  };
}

export class OplogArchiver {
  private readonly slices = new SliceQueue<OplogSlice>();
  private gaps: StateGap[] = [];
  private tail?: { controller: AbortController; done: Promise<unknown> };
  private tailFailure?: Error;
  /** The end of the last slice handed over by the tail (the next tail resumes after it). */
  private handedEnd?: OpTime;
  /** handedEnd is just before the oldest entry after a gap, not an archived entry. */
  private afterGap = false;
  private idle?: { at: Date; openSince?: Date };
  private lastSegment?: string;
  private stateWrittenAt = 0;
  private roomWaiters: (() => void)[] = [];

  constructor(
    private readonly client: MongoClient,
    private readonly options: OplogArchiverOptions,
  ) {}

  private now(): Date {
    return (this.options.now ?? (() => new Date()))();
  }

  /** One pass: follow the primary role, upload closed slices, record how far the archive reaches. */
  async pass(): Promise<{ archived: string[]; tailing: boolean }> {
    if (this.tailFailure) {
      const failure = this.tailFailure;
      this.tailFailure = undefined;
      this.tail = undefined;
      throw failure;
    }
    const primary = await this.readHello();
    if (primary && !this.tail) await this.startTail();
    if (!primary && this.tail) {
      await this.stopTail();
      this.dropUncommitted();
    }
    const archived = await this.uploadQueued();
    await this.writeState(archived.length > 0);
    return { archived, tailing: this.tail !== undefined };
  }

  /** Closes the open slice and uploads everything (SIGTERM, or a test's end). */
  async stop(): Promise<string[]> {
    await this.stopTail();
    await this.readHello().catch(() => undefined);
    const archived = await this.uploadQueued();
    await this.writeState(true);
    return archived;
  }

  /** Whether this member is the writable primary; records its majority commit point. */
  private async readHello(): Promise<boolean> {
    return this.slices.observe(await this.client.db("admin").command({ hello: 1 }));
  }

  /** After a step-down: what was not committed may be rolled back; the next primary archives the history from the archive's end. */
  private dropUncommitted(): void {
    const dropped = this.slices.dropUncommitted();
    if (dropped.length > 0) this.options.log.info({ dropped: dropped.map((slice) => slice.bounds.name) }, "No longer primary: dropped slices not yet majority-committed; the new primary archives from the archive's end");
    this.handedEnd = undefined;
    this.afterGap = false;
  }

  private async startTail(): Promise<void> {
    const archivedEnd = this.handedEnd ?? (await archivedOplogEnd(this.options));
    const oldest = await oldestOplogEntry(this.client);
    // Nothing archived yet: everything still in the oplog is archived, from its oldest entry.
    const resumeAfter = archivedEnd ?? (oldest ? justBefore(oldest) : { t: 0, i: 0 });
    const resumeChecked = archivedEnd !== undefined && !this.afterGap;
    const controller = new AbortController();
    this.options.log.info({ resumeAfter: formatOpTime(resumeAfter) }, "Tailing the oplog (this member is the primary)");
    const done = tailOplog(this.client, {
      resumeAfter,
      resumeChecked,
      signal: controller.signal,
      now: () => this.now(),
      limits: this.options.limits,
      idleWaitMs: this.options.idleWaitMs,
      onSlice: async (slice) => {
        while (this.slices.slices.length >= MAX_QUEUED_SLICES && !controller.signal.aborted) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
        this.slices.slices.push(slice);
        this.handedEnd = slice.bounds.end;
        this.afterGap = false;
      },
      onGap: async (gap: OplogGap) => {
        this.options.log.warn({ gap: gap.message }, "The oplog rolled over before it was archived: a restore cannot cross this gap");
        const at = (position: OpTime) => new Date(position.t * 1000).toISOString();
        this.gaps = [...this.gaps, { after: formatOpTime(gap.after), before: formatOpTime(gap.before), message: gap.message, detectedAt: this.now().toISOString(), lastArchivedAt: at(gap.after), nextArchivedAt: at(gap.before) }].slice(-GAPS_KEPT);
        this.handedEnd = justBefore(gap.before);
        this.afterGap = true;
      },
      onIdle: (openSince) => void (this.idle = { at: this.now(), openSince }),
    }).catch((error: unknown) => {
      this.tailFailure = error as Error;
    });
    this.tail = { controller, done };
  }

  private async stopTail(): Promise<void> {
    const tail = this.tail;
    if (!tail) return;
    tail.controller.abort();
    for (const wake of this.roomWaiters.splice(0)) wake();
    await tail.done;
    this.tail = undefined;
    this.idle = undefined;
  }

  private async uploadQueued(): Promise<string[]> {
    const uploaded: string[] = [];
    for (let slice = this.slices.next(); slice; slice = this.slices.next()) {
      const source = {
        openSegment: () => Readable.from([slice.body]),
        scanner: (): SegmentScanner => ({ update: () => undefined, result: () => boundsOf(slice.bounds) }),
      };
      await archiveSegment(source, this.options.stream, slice.bounds.name, { ...this.options, maxSegmentAgeMs: this.options.limits.maxAgeMs });
      this.slices.slices.shift();
      for (const wake of this.roomWaiters.splice(0)) wake();
      this.lastSegment = slice.bounds.name;
      uploaded.push(slice.bounds.name);
      this.options.log.info({ segment: slice.bounds.name, entries: slice.bounds.entries, bytes: slice.bounds.bytes }, "Archived an oplog slice");
    }
    return uploaded;
  }

  /** Before this moment every oplog entry is in S3: the first entry not yet uploaded, or the last time the tail found nothing new. */
  private archivedUntil(): Date | undefined {
    const queued = this.slices.slices[0];
    if (queued) return new Date((queued.bounds.firstWall ?? new Date(queued.bounds.end.t * 1000)).getTime() - 1);
    if (!this.idle) return undefined;
    return this.idle.openSince ? new Date(this.idle.openSince.getTime() - 1) : this.idle.at;
  }

  private async writeState(force: boolean): Promise<void> {
    const now = this.now();
    const until = this.archivedUntil();
    // Not tailing yet (or any more): what the state said stays true.
    if (!until) return;
    if (!force && now.getTime() - this.stateWrittenAt < STATE_EVERY_MS) return;
    const { client, target } = this.options.storage;
    const key = archiverStateKey(target.prefix, this.options.cluster, this.options.stream);
    if (this.stateWrittenAt === 0) {
      // Gaps recorded by an earlier run of this sidecar are kept.
      const earlier = (await listArchiverStates(this.options.storage, this.options.cluster)).find((state) => state.stream === this.options.stream);
      this.gaps = [...(earlier?.gaps ?? []), ...this.gaps].slice(-GAPS_KEPT);
      this.lastSegment ??= earlier?.lastSegment;
    }
    const state: ArchiverState = {
      format: MANIFEST_FORMAT,
      kind: "ArchiverState",
      stream: this.options.stream,
      archivedUntil: until.toISOString(),
      lastSegment: this.lastSegment,
      ...(this.gaps.length > 0 ? { gaps: this.gaps } : {}),
    };
    await putText(client, target.bucket, key, JSON.stringify(state));
    this.stateWrittenAt = now.getTime();
  }
}
