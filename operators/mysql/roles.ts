/**
 * Role changes on one instance, in SQL: fence (stop taking writes), promote (become the
 * writable primary), replicate (follow the primary). Each is idempotent, so a reconcile that
 * died halfway simply runs it again.
 */
import type { InstanceSession } from "./client.js";
import type { GtidSet } from "./gtid.js";
import { formatGtid } from "./gtid.js";
import { USERS } from "./names.js";

/** The operator's own account; its sessions survive a fence. */
export const OPERATOR_USERS = [USERS.root, USERS.replication, USERS.monitor];

export interface FenceResult {
  readOnly: boolean;
  killedSessions: number;
}

/**
 * Stops an instance from taking writes: client sessions killed first, then read-only, the
 * semi-sync source side off (a demoted instance must not wait for acknowledgements), and the
 * sessions that connected meanwhile killed too, so clients reconnect through the primary Service.
 * Killing first: an old primary cut off from its replicas holds commits waiting for a semi-sync
 * ACK that never comes (the timeout is unbounded with dataLoss none), and read_only=1 waits
 * behind them for ever. A killed commit was never acknowledged to its client; what it left in
 * the binlog is an errant transaction the rejoin handles.
 */
export async function fence(session: InstanceSession): Promise<FenceResult> {
  let killedSessions = await session.killClientSessions(OPERATOR_USERS);
  await session.run(session.sql.setReadOnly(true));
  await session.run(session.sql.setSemiSyncSource(false, 0));
  killedSessions += await session.killClientSessions(OPERATOR_USERS);
  return { readOnly: true, killedSessions };
}

export interface PromoteOptions {
  /** Everything the candidate must have applied before it takes writes. */
  waitFor?: GtidSet;
  waitTimeoutSeconds: number;
  semiSync: boolean;
  semiSyncTimeoutMs: number;
  /** false: stop before read_only=0, so the caller can point replicas at it first. */
  openWrites?: boolean;
}

/**
 * Makes a replica the writable primary: it first applies everything it received (its relay
 * log), then forgets its source, turns on the semi-sync source side (only here: see
 * FIELD-NOTES) and only then takes writes.
 */
export async function promote(session: InstanceSession, options: PromoteOptions): Promise<void> {
  if (options.waitFor) {
    const gtid = formatGtid(options.waitFor);
    if (gtid) {
      const [row] = await session.query(session.sql.waitForApplied(gtid, options.waitTimeoutSeconds), (options.waitTimeoutSeconds + 5) * 1000);
      if (String(row?.done) !== "1") throw new Error(`${session.name} did not apply ${gtid} within ${options.waitTimeoutSeconds}s; not promoting it`);
    }
  }
  await session.run([session.sql.stopReplica, session.sql.resetReplicaAll]);
  await session.run(session.sql.setSemiSyncSource(options.semiSync, options.semiSyncTimeoutMs));
  if (options.openWrites !== false) await session.run(session.sql.setReadOnly(false));
}

/** Makes the primary writable again (after a restart every instance comes up read-only). */
export async function reopenPrimary(session: InstanceSession, semiSync: boolean, semiSyncTimeoutMs: number): Promise<void> {
  await session.run(session.sql.setSemiSyncSource(semiSync, semiSyncTimeoutMs));
  await session.run(session.sql.setReadOnly(false));
}

export interface ReplicateOptions {
  sourceHost: string;
  sourcePort: number;
  replicationPassword: string;
  /** It was a primary (or never replicated): its own writes are part of its position. */
  formerPrimary: boolean;
  /** Replicate over TLS, verifying the primary against this CA file in the pod. */
  tlsCaFile?: string;
}

/** Points an instance at the primary with GTID auto-positioning and starts replicating. */
export async function replicateFrom(session: InstanceSession, options: ReplicateOptions): Promise<void> {
  await session.run(session.sql.setReadOnly(true));
  await session.run(session.sql.setSemiSyncSource(false, 0));
  await session.run([session.sql.stopReplica]);
  if (options.formerPrimary) await session.run(session.sql.rejoinPosition);
  await session.run([
    session.sql.semiSyncReplicaOn,
    session.sql.changeSource({ host: options.sourceHost, port: options.sourcePort, user: USERS.replication, password: options.replicationPassword, tlsCaFile: options.tlsCaFile }),
    session.sql.startReplica,
  ]);
}
