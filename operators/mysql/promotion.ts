/**
 * Changing the primary: failover (the primary is gone) and switchover (on request, before
 * restarting or removing the primary). Both hold the cluster's promotion Lease, record the
 * target in status.targetPrimary before acting (a reconcile that dies halfway resumes), and
 * follow one order:
 *   fence the old primary (role label off first, so the primary Service stops routing to it;
 *   read-only and client sessions killed if it answers) -> the candidate applies everything it
 *   received -> it stops replicating and turns on the semi-sync source side -> the other
 *   replicas follow it (so the first commit finds an acknowledger) -> it takes writes -> it
 *   gets the primary label -> status and an Event.
 * At no moment are two instances writable behind the primary Service: the old one is out of
 * the Service (and read-only when reachable) before the new one is writable.
 */
import { describeError } from "../common/errors.js";
import { UNHEALTHY_SINCE_ANNOTATION } from "../common/heal-context.js";
import type { SwitchoverResult } from "../common/maintenance.js";
import { ROLE_PRIMARY, ROLE_REPLICA } from "../common/names.js";
import { formatGtid, gtidContains, parseGtid, type GtidSet } from "./gtid.js";
import type { HealContext } from "./heal-context.js";
import { MYSQL_PORT } from "./names.js";
import { fence, promote, replicateFrom } from "./roles.js";

const APPLY_WAIT_SECONDS = 30;
const SWITCHOVER_APPLY_WAIT_SECONDS = 10;

/** Fences an instance that may still think it is the primary; an unreachable one is out of the Service anyway. */
export async function fenceInstance(heal: HealContext, pod: string): Promise<string> {
  await heal.setRole(pod, undefined);
  try {
    const result = await heal.withSession(pod, (session) => fence(session));
    return `made ${pod} read-only and closed ${result.killedSessions} client sessions`;
  } catch (error) {
    return `${pod} did not answer (${describeError(error)}); it is out of the primary Service`;
  }
}

/** Points every other reachable replica at the new primary (errant ones are left to heal's re-seed). */
async function repointOthers(heal: HealContext, newPrimary: string, except: string[]): Promise<void> {
  for (const view of heal.views()) {
    if (view.name === newPrimary || except.includes(view.name) || !view.reachable || view.errant) continue;
    try {
      await heal.withSession(view.name, (session) =>
        replicateFrom(session, { sourceHost: heal.hostOf(newPrimary), sourcePort: MYSQL_PORT, replicationPassword: heal.prepared.credentials.replication, formerPrimary: !view.replication, tlsCaFile: heal.replicationCaFile() }),
      );
      await heal.setRole(view.name, ROLE_REPLICA);
    } catch (error) {
      // Not fatal: heal re-points it on the next pass.
      heal.log.warn({ err: error, instance: view.name }, `could not point ${view.name} at ${newPrimary} yet`);
    }
  }
}

export interface FailoverRequest {
  failed: string;
  candidate: string;
  waitFor: GtidSet;
  unhealthyForMs: number;
  reason: string;
}

export async function executeFailover(heal: HealContext, request: FailoverRequest): Promise<void> {
  await heal.withLease(async () => {
    const started = Date.now();
    await heal.persistStatus({ targetPrimary: request.candidate });
    const fenced = await fenceInstance(heal, request.failed);
    // Nothing to wait for when it applied all it holds (e.g. a former primary's own binary log,
    // which MASTER_GTID_WAIT, watching the replication position only, would wait for forever).
    const executed = heal.view(request.candidate)?.executed;
    const waitFor = executed && gtidContains(executed, request.waitFor) ? undefined : request.waitFor;
    await heal.withSession(request.candidate, async (session) => {
      await promote(session, { waitFor, waitTimeoutSeconds: APPLY_WAIT_SECONDS, semiSync: heal.semiSync(), semiSyncTimeoutMs: heal.semiSyncTimeoutMs(), openWrites: false });
      await repointOthers(heal, request.candidate, [request.failed]);
      await session.run(session.sql.setReadOnly(false));
    });
    await heal.setRole(request.candidate, ROLE_PRIMARY);
    const seconds = Math.round(request.unhealthyForMs / 100) / 10;
    await heal.persistStatus({
      currentPrimary: request.candidate,
      targetPrimary: undefined,
      lastFailover: { from: request.failed, to: request.candidate, at: heal.now().toISOString(), reason: `${request.failed} was unreachable or not ready for ${seconds}s`, durationSeconds: (request.unhealthyForMs + Date.now() - started) / 1000 },
    });
    await heal.annotateCluster({ [UNHEALTHY_SINCE_ANNOTATION]: null });
    heal.busy = true;
    await heal.normal(
      "FailedOver",
      `Promoted ${request.candidate} to primary after ${request.failed} was unreachable for ${seconds}s (${Date.now() - started} ms to promote; ${fenced}; ${request.reason})`,
    );
  });
}

/**
 * Planned change of primary. The old primary turns read-only first, so nothing commits that
 * the target lacks; the target applies up to the old primary's last GTID (a few ms when it
 * keeps up) and is promoted. If the target cannot catch up in time, the old primary is
 * reopened and the switchover reported as failed: writes paused, nothing lost.
 */
export async function executeSwitchover(heal: HealContext, from: string, to: string, why: string): Promise<SwitchoverResult> {
  return heal.withLease(async () => {
    await heal.persistStatus({ targetPrimary: to });
    const old = await heal.open(from);
    const started = Date.now();
    try {
      await old.run(old.sql.setReadOnly(true));
      const [row] = await old.query(old.sql.variables);
      const position = formatGtid(parseGtid(heal.flavor, old.sql.parseVariables(row ?? {}).binlog));
      await heal.setRole(from, undefined);
      await old.killClientSessions(["root", "repl", "monitor"]);
      try {
        await heal.withSession(to, async (session) => {
          await promote(session, {
            waitFor: parseGtid(heal.flavor, position),
            waitTimeoutSeconds: SWITCHOVER_APPLY_WAIT_SECONDS,
            semiSync: heal.semiSync(),
            semiSyncTimeoutMs: heal.semiSyncTimeoutMs(),
            openWrites: false,
          });
          // The old primary follows first: it holds nothing the target lacks (it was read-only).
          await replicateFrom(old, { sourceHost: heal.hostOf(to), sourcePort: MYSQL_PORT, replicationPassword: heal.prepared.credentials.replication, formerPrimary: true, tlsCaFile: heal.replicationCaFile() });
          await repointOthers(heal, to, [from]);
          await session.run(session.sql.setReadOnly(false));
        });
      } catch (error) {
        // Roll back: the old primary takes writes again; nothing was lost, writes only paused.
        await old.run(old.sql.setReadOnly(false));
        await heal.setRole(from, ROLE_PRIMARY);
        await heal.persistStatus({ targetPrimary: undefined });
        return { ok: false, message: `Switchover from ${from} to ${to} failed and ${from} stays primary: ${describeError(error)}` };
      }
      await heal.setRole(to, ROLE_PRIMARY);
      const pauseMs = Date.now() - started;
      await heal.setRole(from, ROLE_REPLICA);
      await heal.persistStatus({ currentPrimary: to, targetPrimary: undefined });
      heal.busy = true;
      return { ok: true, message: `Switched the primary from ${from} to ${to} (${why}); writes paused for ${pauseMs} ms`, pauseMs };
    } finally {
      await old.close();
    }
  });
}
