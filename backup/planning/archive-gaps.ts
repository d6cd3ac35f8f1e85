import { compareLogNames, type ListedSegment } from "./restore-plan.js";

/**
 * Gaps in the point-in-time window. An archiver that stops (S3 down, sidecar stopped) leaves no
 * gap by itself: the engine keeps its closed log segments and the archiver uploads them when it
 * runs again ("archived until" just lags). A gap is a segment that left the server before it was
 * uploaded (purged, the volume lost): in a stream, log names with a trailing counter then skip
 * a number. Times from the last archived transaction before the hole up to the next backup
 * consistent after it cannot be recovered to: replay from an older backup would have to cross
 * the hole. Pure: the controller lists S3 and reads the two manifests around each hole.
 */

/** Segments missing between two archived ones of a stream (by name: the counter skips). */
export interface MissingSegments {
  stream: string;
  /** The archived segment just before the hole, and just after it. */
  after: string;
  before: string;
  /** How many names the counter skipped. */
  count: number;
}

/** Holes in each stream's sequence of archived segment names. Names without a trailing counter are not judged. */
export function findMissingSegments(listed: Pick<ListedSegment, "stream" | "segment">[]): MissingSegments[] {
  const streams = new Map<string, string[]>();
  for (const { stream, segment } of listed) streams.set(stream, [...(streams.get(stream) ?? []), segment]);
  const missing: MissingSegments[] = [];
  for (const stream of [...streams.keys()].sort()) {
    const names = [...new Set(streams.get(stream))].sort(compareLogNames);
    for (let index = 1; index < names.length; index++) {
      const [previous, next] = [counter(names[index - 1]!), counter(names[index]!)];
      if (!previous || !next || previous.stem !== next.stem) continue;
      if (next.number - previous.number > 1) missing.push({ stream, after: names[index - 1]!, before: names[index]!, count: next.number - previous.number - 1 });
    }
  }
  return missing;
}

function counter(name: string): { stem: string; number: number } | undefined {
  const match = /^(.*?)(\d+)$/.exec(name);
  return match ? { stem: match[1]!, number: Number(match[2]) } : undefined;
}

/** A hole with the times read from the manifests around it. */
export interface ArchiveHole extends MissingSegments {
  /** The last archived transaction before the hole (or when that segment was stored). */
  lastArchivedAt: Date;
  /** The first archived transaction after it (or when that segment was stored): the lost transactions are before this. */
  nextArchivedAt: Date;
  /** What was lost, when an archiver recorded the hole itself (ArchiverState.gaps) rather than it being read from names. */
  description?: string;
}

/** A span inside the window that cannot be recovered to, as the cluster's status reports it. */
export interface PointInTimeGap {
  from: string;
  to: string;
  reason: string;
}

/**
 * The unrecoverable spans inside [earliest, latest]: from the last archived transaction before a
 * hole to the first backup consistent at or after the transactions after it (where replay can
 * start again), or to the window's end if no backup was taken since. Overlapping spans merge.
 */
export function pointInTimeGaps(holes: ArchiveHole[], backupsConsistentAt: Date[], window: { earliest?: Date; latest?: Date }): PointInTimeGap[] {
  if (!window.earliest || !window.latest) return [];
  const earliest = window.earliest.getTime();
  const latest = window.latest.getTime();
  const backups = backupsConsistentAt.map((date) => date.getTime()).sort((a, b) => a - b);
  const spans = holes
    .map((hole) => {
      const resume = backups.find((time) => time >= hole.nextArchivedAt.getTime());
      const what = hole.description ?? `${hole.count === 1 ? "1 log segment" : `${hole.count} log segments`} of ${hole.stream} between ${hole.after} and ${hole.before} never reached the archive`;
      return {
        from: Math.max(hole.lastArchivedAt.getTime(), earliest),
        to: Math.min(resume ?? latest, latest),
        reason: resume === undefined ? `${what}; no backup since: take one to recover later times` : `${what}; recoverable again from the next backup`,
      };
    })
    .filter((span) => span.to > span.from)
    .sort((a, b) => a.from - b.from);
  const merged: typeof spans = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span.from <= last.to) {
      last.to = Math.max(last.to, span.to);
      last.reason = `${last.reason}; ${span.reason}`;
    } else merged.push({ ...span });
  }
  return merged.map((span) => ({ from: new Date(span.from).toISOString(), to: new Date(span.to).toISOString(), reason: span.reason }));
}

/**
 * The gap a time falls in, if any. A gap's start (the last archived transaction) and its end (a
 * backup's consistency time) are recoverable; a gap that runs to the window's end (no backup
 * since) includes that end.
 */
export function gapAt<T extends { from: string; to: string }>(gaps: T[] | undefined, at: Date, latest?: Date): T | undefined {
  const time = at.getTime();
  return gaps?.find((gap) => time > Date.parse(gap.from) && (time < Date.parse(gap.to) || (latest !== undefined && Date.parse(gap.to) >= latest.getTime() && time <= Date.parse(gap.to))));
}
