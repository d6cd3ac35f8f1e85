/**
 * What the operator reads from one instance: `INFO server replication persistence`, parsed.
 * Pure (the text comes from client.ts), tested on outputs recorded from redis-server 7.0.
 */

/** One replica as its primary lists it (`slaveN:ip=...,port=...,state=...,offset=...,lag=...`). */
export interface ReplicaLink {
  /** What the replica announced: Steward's pods announce their StatefulSet DNS name. */
  host: string;
  port: number;
  state: string;
  /** The offset the replica acknowledged (REPLCONF ACK). */
  ackedOffset: number;
  lagSeconds: number;
}

export interface RedisFacts {
  version: string;
  runId: string;
  uptimeSeconds: number;
  role: "master" | "slave";
  /** The replication history this instance is on, and (after a promotion) the one before it. */
  replid: string;
  replid2: string;
  /** Where replid2's history ended (-1: none). */
  secondOffset: number;
  /** The replication offset: how much of its history this instance holds. */
  offset: number;
  /** Replica side. */
  masterHost?: string;
  masterPort?: number;
  linkUp?: boolean;
  syncInProgress?: boolean;
  lastIoSecondsAgo?: number;
  /** Primary side. */
  replicas: ReplicaLink[];
  /** `min_slaves_good_slaves`, when a write quorum is configured. */
  goodReplicas?: number;
  failoverState: string;
  loading: boolean;
  aofEnabled: boolean;
  lastBgsaveOk: boolean;
  lastAofWriteOk: boolean;
}

/** Every `key:value` line of an INFO reply, across sections. */
export function parseInfoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

export function parseReplicaLink(value: string): ReplicaLink | undefined {
  const parts = new Map(value.split(",").map((pair) => {
    const equals = pair.indexOf("=");
    return [pair.slice(0, equals), pair.slice(equals + 1)] as const;
  }));
  const host = parts.get("ip");
  if (!host) return undefined;
  return {
    host,
    port: Number(parts.get("port") ?? 0),
    state: parts.get("state") ?? "unknown",
    ackedOffset: Number(parts.get("offset") ?? 0),
    lagSeconds: Number(parts.get("lag") ?? 0),
  };
}

function number(fields: Map<string, string>, key: string, fallback = 0): number {
  const value = fields.get(key);
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : fallback;
}

export function parseInfo(text: string): RedisFacts {
  const fields = parseInfoFields(text);
  const role = fields.get("role");
  if (role !== "master" && role !== "slave") throw new Error(`INFO did not report a role (got ${JSON.stringify(role)})`);
  const replicas: ReplicaLink[] = [];
  for (const [key, value] of fields) {
    if (!/^slave\d+$/.test(key)) continue;
    const link = parseReplicaLink(value);
    if (link) replicas.push(link);
  }
  const facts: RedisFacts = {
    version: fields.get("redis_version") ?? "unknown",
    runId: fields.get("run_id") ?? "",
    uptimeSeconds: number(fields, "uptime_in_seconds"),
    role,
    replid: fields.get("master_replid") ?? "",
    replid2: fields.get("master_replid2") ?? "",
    secondOffset: number(fields, "second_repl_offset", -1),
    offset: number(fields, "master_repl_offset"),
    replicas,
    failoverState: fields.get("master_failover_state") ?? "no-failover",
    loading: fields.get("loading") === "1",
    aofEnabled: fields.get("aof_enabled") === "1",
    lastBgsaveOk: (fields.get("rdb_last_bgsave_status") ?? "ok") === "ok",
    lastAofWriteOk: (fields.get("aof_last_write_status") ?? "ok") === "ok",
  };
  if (fields.has("min_slaves_good_slaves")) facts.goodReplicas = number(fields, "min_slaves_good_slaves");
  if (role === "slave") {
    facts.masterHost = fields.get("master_host");
    facts.masterPort = number(fields, "master_port");
    facts.linkUp = fields.get("master_link_status") === "up";
    facts.syncInProgress = fields.get("master_sync_in_progress") === "1";
    facts.lastIoSecondsAgo = number(fields, "master_last_io_seconds_ago", -1);
  }
  return facts;
}

/** How status.instances[].position spells a replication position: `<replid>:<offset>`. */
export function formatPosition(replid: string, offset: number): string {
  return `${replid}:${offset}`;
}

export function parsePosition(text: string | undefined): { replid: string; offset: number } | undefined {
  const match = /^([0-9a-f]{40}):(\d+)$/.exec(text ?? "");
  return match ? { replid: match[1]!, offset: Number(match[2]) } : undefined;
}
