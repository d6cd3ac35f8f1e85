/**
 * GTID positions of both flavours, as values the failover planner can compare.
 *
 * MariaDB: a position is one GTID per replication domain, `domain-server-seq`
 * ("0-1-100,1-2-7"). Within a domain sequence numbers only grow (gtid_strict_mode), so
 * "has at least" is a per-domain comparison of sequence numbers.
 *
 * MySQL: a GTID set is source UUID (optionally with tags, 8.4) and intervals
 * ("3e11fa47-...:1-5:7-9,tag..."); "has at least" is set containment.
 *
 * Both are wrapped in `GtidSet` so the planner never branches on the flavour.
 */
import type { MysqlFlavor } from "../../shared/api/index.js";

export interface MariadbGtid {
  domain: number;
  server: number;
  seq: number;
}

/** Domain -> the last GTID of that domain. */
export type MariadbPosition = Map<number, MariadbGtid>;

/** Source (uuid, or uuid:tag) -> sorted, non-overlapping, non-adjacent inclusive intervals. */
export type MysqlGtidSet = Map<string, [number, number][]>;

export type GtidSet = { flavor: "mariadb"; position: MariadbPosition } | { flavor: "mysql"; set: MysqlGtidSet };

export function parseMariadbPosition(text: string | null | undefined): MariadbPosition {
  const position: MariadbPosition = new Map();
  for (const part of (text ?? "").split(",")) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const match = /^(\d+)-(\d+)-(\d+)$/.exec(trimmed);
    if (!match) throw new Error(`"${trimmed}" is not a MariaDB GTID (domain-server-seq)`);
    const gtid = { domain: Number(match[1]), server: Number(match[2]), seq: Number(match[3]) };
    const existing = position.get(gtid.domain);
    if (!existing || existing.seq < gtid.seq) position.set(gtid.domain, gtid);
  }
  return position;
}

export function formatMariadbPosition(position: MariadbPosition): string {
  return [...position.values()]
    .sort((a, b) => a.domain - b.domain)
    .map((gtid) => `${gtid.domain}-${gtid.server}-${gtid.seq}`)
    .join(",");
}

function addInterval(intervals: [number, number][], start: number, end: number): [number, number][] {
  const all = [...intervals, [start, end] as [number, number]].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [from, to] of all) {
    const last = merged[merged.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

export function parseMysqlGtidSet(text: string | null | undefined): MysqlGtidSet {
  const set: MysqlGtidSet = new Map();
  for (const part of (text ?? "").replace(/\s+/g, "").split(",")) {
    if (!part) continue;
    const [uuid, ...rest] = part.split(":");
    if (!uuid || !/^[0-9a-fA-F-]{36}$/.test(uuid)) throw new Error(`"${part}" is not a MySQL GTID set member (uuid:interval)`);
    let source = uuid.toLowerCase();
    for (const piece of rest) {
      const interval = /^(\d+)(?:-(\d+))?$/.exec(piece);
      if (!interval) {
        // MySQL 8.4 tagged GTIDs: intervals after a tag belong to uuid:tag.
        if (!/^[a-z_][a-z0-9_]{0,31}$/i.test(piece)) throw new Error(`"${part}" has a malformed interval or tag "${piece}"`);
        source = `${uuid.toLowerCase()}:${piece.toLowerCase()}`;
        continue;
      }
      const start = Number(interval[1]);
      const end = interval[2] ? Number(interval[2]) : start;
      set.set(source, addInterval(set.get(source) ?? [], start, end));
    }
  }
  return set;
}

export function formatMysqlGtidSet(set: MysqlGtidSet): string {
  return [...set.entries()]
    .filter(([, intervals]) => intervals.length > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([source, intervals]) => `${source}:${intervals.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(":")}`)
    .join(",");
}

function intervalsContain(outer: [number, number][], inner: [number, number][]): boolean {
  return inner.every(([start, end]) => outer.some(([from, to]) => from <= start && end <= to));
}

function subtractIntervals(from: [number, number][], remove: [number, number][]): [number, number][] {
  let result = from.map((interval) => [...interval] as [number, number]);
  for (const [start, end] of remove) {
    const next: [number, number][] = [];
    for (const [a, b] of result) {
      if (end < a || start > b) next.push([a, b]);
      else {
        if (a < start) next.push([a, start - 1]);
        if (b > end) next.push([end + 1, b]);
      }
    }
    result = next;
  }
  return result;
}

export function parseGtid(flavor: MysqlFlavor, text: string | null | undefined): GtidSet {
  return flavor === "mariadb" ? { flavor, position: parseMariadbPosition(text) } : { flavor, set: parseMysqlGtidSet(text) };
}

export function formatGtid(gtid: GtidSet): string {
  return gtid.flavor === "mariadb" ? formatMariadbPosition(gtid.position) : formatMysqlGtidSet(gtid.set);
}

export function isEmptyGtid(gtid: GtidSet): boolean {
  return gtid.flavor === "mariadb" ? gtid.position.size === 0 : [...gtid.set.values()].every((intervals) => intervals.length === 0);
}

function sameFlavor(a: GtidSet, b: GtidSet): void {
  if (a.flavor !== b.flavor) throw new Error(`cannot compare a ${a.flavor} GTID set with a ${b.flavor} one`);
}

/** Whether `a` holds every transaction `b` holds. */
export function gtidContains(a: GtidSet, b: GtidSet): boolean {
  sameFlavor(a, b);
  if (a.flavor === "mariadb" && b.flavor === "mariadb") {
    for (const [domain, gtid] of b.position) {
      const mine = a.position.get(domain);
      if (!mine || mine.seq < gtid.seq) return false;
      // Same sequence number from another server: the two histories forked at that point.
      if (mine.seq === gtid.seq && mine.server !== gtid.server) return false;
    }
    return true;
  }
  if (a.flavor === "mysql" && b.flavor === "mysql") {
    for (const [source, intervals] of b.set) if (!intervalsContain(a.set.get(source) ?? [], intervals)) return false;
    return true;
  }
  return false;
}

export function gtidEqual(a: GtidSet, b: GtidSet): boolean {
  return gtidContains(a, b) && gtidContains(b, a);
}

/** Everything either holds (MariaDB: per domain, the later GTID). */
export function gtidUnion(a: GtidSet, b: GtidSet): GtidSet {
  sameFlavor(a, b);
  if (a.flavor === "mariadb" && b.flavor === "mariadb") {
    const position: MariadbPosition = new Map(a.position);
    for (const [domain, gtid] of b.position) {
      const mine = position.get(domain);
      if (!mine || mine.seq < gtid.seq) position.set(domain, gtid);
    }
    return { flavor: "mariadb", position };
  }
  if (a.flavor === "mysql" && b.flavor === "mysql") {
    const set: MysqlGtidSet = new Map(a.set);
    for (const [source, intervals] of b.set) {
      let merged = set.get(source) ?? [];
      for (const [start, end] of intervals) merged = addInterval(merged, start, end);
      set.set(source, merged);
    }
    return { flavor: "mysql", set };
  }
  throw new Error("unreachable");
}

/**
 * What `a` holds that `b` does not, as text for messages and errant-transaction checks.
 * MariaDB positions cannot list single transactions: a domain whose last GTID `b` does not
 * hold is reported with `a`'s last GTID.
 */
export function gtidMissingFrom(a: GtidSet, b: GtidSet): GtidSet {
  sameFlavor(a, b);
  if (a.flavor === "mariadb" && b.flavor === "mariadb") {
    const position: MariadbPosition = new Map();
    for (const [domain, gtid] of a.position) {
      const single: GtidSet = { flavor: "mariadb", position: new Map([[domain, gtid]]) };
      if (!gtidContains(b, single)) position.set(domain, gtid);
    }
    return { flavor: "mariadb", position };
  }
  if (a.flavor === "mysql" && b.flavor === "mysql") {
    const set: MysqlGtidSet = new Map();
    for (const [source, intervals] of a.set) {
      const rest = subtractIntervals(intervals, b.set.get(source) ?? []);
      if (rest.length > 0) set.set(source, rest);
    }
    return { flavor: "mysql", set };
  }
  throw new Error("unreachable");
}

/** The number of transactions in a MySQL set; for MariaDB the sum of sequence numbers (a progress measure only). */
export function gtidWeight(gtid: GtidSet): number {
  if (gtid.flavor === "mariadb") return [...gtid.position.values()].reduce((sum, item) => sum + item.seq, 0);
  return [...gtid.set.values()].flat().reduce((sum, [a, b]) => sum + (b - a + 1), 0);
}
