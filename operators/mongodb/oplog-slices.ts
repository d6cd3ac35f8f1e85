/**
 * Point in time for MongoDB, as pure parts: how the sidecar cuts the oplog it tails into
 * slices (every 10 s or N MiB, whichever first), how archived slices chain (and where they do
 * not: a gap), and which entries a restore replays on top of a base backup, to the second.
 *
 * A slice's positions are oplog timestamps written "t:i". `startPosition` is EXCLUSIVE: the
 * last entry the tailer had already passed when the slice began (the previous slice's
 * `endPosition`, or where the tailer started). `endPosition` is the slice's last entry. So
 * slices chain when each one's start equals the previous one's end, and any other value is a
 * gap: entries between them were never archived (the oplog rolled over, or the tailer
 * restarted from a later point).
 */
import { compareOpTime, type OpTime } from "./status.js";

export const SLICE_MAX_AGE_MS = 10_000;
export const SLICE_MAX_BYTES = 16 * 1024 * 1024;

export function formatOpTime(opTime: OpTime): string {
  return `${opTime.t}:${opTime.i}`;
}

export function parseOpTime(text: string): OpTime {
  const match = /^(\d+):(\d+)$/.exec(text);
  if (!match) throw new Error(`not an oplog position (t:i): ${text}`);
  return { t: Number(match[1]), i: Number(match[2]) };
}

/** The position just before `position`: a slice starting there begins with `position` itself. */
export function justBefore(position: OpTime): OpTime {
  return position.i > 0 ? { t: position.t, i: position.i - 1 } : { t: position.t - 1, i: 0xffff_ffff };
}

/**
 * A slice's object name: its first entry's position, zero-padded so names sort in oplog order.
 * It ends in the format, not in a number: backup/ judges names that end in a counter (binlogs)
 * as a sequence, and positions are not one.
 */
export function sliceName(first: OpTime): string {
  return `oplog-${String(first.t).padStart(10, "0")}-${String(first.i).padStart(10, "0")}-ejson`;
}

export interface SliceBounds {
  name: string;
  /** Exclusive: the entry just before this slice. */
  start: OpTime;
  /** Inclusive: the slice's last entry. */
  end: OpTime;
  firstWall?: Date;
  lastWall?: Date;
  entries: number;
  bytes: number;
}

/** The part of an oplog entry the slicer looks at. */
export interface SlicedEntry {
  ts: OpTime;
  wall?: Date;
  bytes: number;
}

/**
 * Cuts a stream of oplog entries into slices. Feed every entry with `add`, call `due` when the
 * tail is idle; each returns the slice to close (and upload) now, if any. Pure: no clock and no
 * I/O, the caller passes `now`.
 */
export class OplogSlicer {
  private open?: { start: OpTime; first: OpTime; last: OpTime; firstWall?: Date; lastWall?: Date; entries: number; bytes: number; openedAt: number };
  private lastClosed: OpTime;

  constructor(
    /** Where the tailer starts: the last archived entry, or the oplog position it began at. */
    resumeAfter: OpTime,
    private readonly limits = { maxAgeMs: SLICE_MAX_AGE_MS, maxBytes: SLICE_MAX_BYTES },
  ) {
    this.lastClosed = resumeAfter;
  }

  /** Adds an entry; returns the slice it completed when the slice reached its byte limit. */
  add(entry: SlicedEntry, now: Date): SliceBounds | undefined {
    if (compareOpTime(entry.ts, this.open?.last ?? this.lastClosed) <= 0) throw new Error(`oplog entry ${formatOpTime(entry.ts)} is not after ${formatOpTime(this.open?.last ?? this.lastClosed)}: the tail went backwards`);
    if (!this.open) this.open = { start: this.lastClosed, first: entry.ts, last: entry.ts, firstWall: entry.wall, entries: 0, bytes: 0, openedAt: now.getTime() };
    this.open.last = entry.ts;
    this.open.lastWall = entry.wall ?? this.open.lastWall;
    this.open.entries += 1;
    this.open.bytes += entry.bytes;
    return this.open.bytes >= this.limits.maxBytes ? this.close() : undefined;
  }

  /** The open slice, when it has waited its maximum age. */
  due(now: Date): SliceBounds | undefined {
    if (!this.open || now.getTime() - this.open.openedAt < this.limits.maxAgeMs) return undefined;
    return this.close();
  }

  /** When the open slice's first entry was written, if a slice is open: nothing from then on is archived yet. */
  openSince(): Date | undefined {
    return this.open ? (this.open.firstWall ?? new Date(this.open.first.t * 1000)) : undefined;
  }

  /** Closes whatever is open (shutdown). */
  flush(): SliceBounds | undefined {
    return this.open ? this.close() : undefined;
  }

  private close(): SliceBounds {
    const open = this.open;
    if (!open) throw new Error("no open slice");
    this.open = undefined;
    this.lastClosed = open.last;
    return { name: sliceName(open.first), start: open.start, end: open.last, firstWall: open.firstWall, lastWall: open.lastWall, entries: open.entries, bytes: open.bytes };
  }
}

export interface OplogGap {
  /** The last archived entry before the gap. */
  after: OpTime;
  /** The first position archived again (exclusive start of the next slice, or the oplog's oldest entry). */
  before: OpTime;
  message: string;
}

/** Breaks in a stream's chain of slices, oldest first. */
export function findGaps(slices: readonly Pick<SliceBounds, "name" | "start" | "end">[]): OplogGap[] {
  const sorted = [...slices].sort((a, b) => compareOpTime(a.end, b.end));
  const gaps: OplogGap[] = [];
  for (let index = 1; index < sorted.length; index += 1) {
    const previous = sorted[index - 1];
    const slice = sorted[index];
    if (!previous || !slice) continue;
    if (compareOpTime(slice.start, previous.end) !== 0) {
      gaps.push({ after: previous.end, before: slice.start, message: `oplog entries after ${formatOpTime(previous.end)} up to ${formatOpTime(slice.start)} were not archived (between ${previous.name} and ${slice.name})` });
    }
  }
  return gaps;
}

/**
 * Whether the tailer can resume after `lastArchived` on a member whose oplog now starts at
 * `oldest`: it can only when that entry is still there. Otherwise the oplog rolled over while
 * nothing archived it, and the slices after it start a new chain (a gap a restore cannot cross).
 */
export function resumeGap(lastArchived: OpTime | undefined, oldest: OpTime): OplogGap | undefined {
  if (!lastArchived || compareOpTime(oldest, lastArchived) <= 0) return undefined;
  return { after: lastArchived, before: oldest, message: `the oplog rolled over before entries after ${formatOpTime(lastArchived)} were archived; it now starts at ${formatOpTime(oldest)}` };
}

export type ReplayPlan =
  | { ok: true; slices: SliceBounds[]; from: OpTime; stop: OpTime }
  | { ok: false; reason: string };

/** The last oplog position at or before a time: opTimes count whole seconds, so a restore is exact to the second. */
export function stopPositionFor(time: Date): OpTime {
  return { t: Math.floor(time.getTime() / 1000), i: 0xffff_ffff };
}

/**
 * The slices a restore replays on top of a base backup consistent at oplog position `base`,
 * up to `stopAt` (entries of that second included): every slice from the one holding the
 * first entry after `base` to the one reaching `stopAt`, refusing a plan that would cross a gap
 * or end before `stopAt`.
 */
export function planOplogReplay(base: OpTime, slices: readonly SliceBounds[], stopAt: Date): ReplayPlan {
  const stop = stopPositionFor(stopAt);
  if (compareOpTime(stop, base) < 0) return { ok: false, reason: `${stopAt.toISOString()} is before the base backup's oplog position ${formatOpTime(base)}` };
  const sorted = [...slices].sort((a, b) => compareOpTime(a.end, b.end));
  const needed: SliceBounds[] = [];
  let reached = base;
  for (const slice of sorted) {
    if (compareOpTime(slice.end, base) <= 0) continue;
    if (compareOpTime(reached, stop) >= 0) break;
    // The slice must begin at or before what is already covered, or entries in between are missing.
    if (compareOpTime(slice.start, reached) > 0) return { ok: false, reason: `oplog entries after ${formatOpTime(reached)} up to ${formatOpTime(slice.start)} were never archived; the latest recoverable time from this backup is ${new Date(reached.t * 1000).toISOString()}` };
    needed.push(slice);
    reached = slice.end;
  }
  if (compareOpTime(reached, stop) < 0 && reached.t < stop.t) {
    return { ok: false, reason: `the archived oplog reaches ${new Date(reached.t * 1000).toISOString()} (${formatOpTime(reached)}), before ${stopAt.toISOString()}` };
  }
  return { ok: true, slices: needed, from: base, stop };
}

/** Namespaces a replay never writes: the server's own bookkeeping, which a restored set rebuilds itself. */
const SKIPPED_NAMESPACES = /^(local\.|config\.system\.sessions$|config\.transactions$|config\.cache\.|admin\.system\.keys$)/;

/** Whether one archived entry is replayed: after the base, at or before the stop, and a change to user data. */
export function replays(entry: { ts: OpTime; op: string; ns: string }, from: OpTime, stop: OpTime): boolean {
  if (compareOpTime(entry.ts, from) <= 0 || compareOpTime(entry.ts, stop) > 0) return false;
  if (entry.op === "n") return false;
  return !SKIPPED_NAMESPACES.test(entry.ns);
}
