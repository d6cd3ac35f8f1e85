/**
 * What the operator and the agent do to a replica set, over MemberCommands (real servers
 * through the driver, or the simulator under test/): bootstrap, one membership step, the
 * application user, and a switchover. Each is safe to re-run after a crash at any line: it
 * starts by reading what the set holds.
 */
import { describeError } from "../common/errors.js";
import { ERROR_CODES, errorCode, type MemberCommands } from "./member.js";
import { initialConfig, planMembership, type MembershipStep } from "./planner.js";
import type { DesiredMember } from "./replset-config.js";
import { memberHealth } from "./status.js";

export interface Credentials {
  user: string;
  password: string;
}

export type BootstrapOutcome = "initiated" | "adminCreated" | "alreadyDone";

/** The sidecar's answer while a cluster made from a backup (spec.bootstrap) still loads it: the operator adds no member meanwhile. */
export const RESTORE_IN_PROGRESS = "restoring the backup";

/**
 * Bootstrap, from INSIDE the first member's pod over localhost without credentials (MongoDB's
 * localhost exception: until the first user exists, a localhost client may create it). Steps,
 * each skipped when already done:
 *   1. replSetInitiate with this member alone (AlreadyInitialized counts as done);
 *   2. wait until it is the writable primary (a single-member set elects itself in seconds);
 *   3. create the operator's admin user (root) in `admin`. Once any user exists the exception
 *      closes and `usersInfo` answers Unauthorized: the user was created on an earlier run.
 * The operator asks for this only while status says the set was never initiated, so a first
 * member that lost its data never starts a second set of its own.
 */
export async function bootstrapReplicaSet(
  local: MemberCommands,
  options: { setName: string; first: DesiredMember; admin: Credentials; waitForPrimary: (check: () => Promise<boolean>) => Promise<boolean> },
): Promise<BootstrapOutcome> {
  let outcome: BootstrapOutcome = "alreadyDone";
  const reading = await local.replSetGetConfig().catch((error: unknown) => {
    // Unauthorized: a user exists, so the set was initiated and the admin created before.
    if (errorCode(error) === ERROR_CODES.Unauthorized) return "locked" as const;
    throw error;
  });
  if (reading === "locked") return "alreadyDone";
  if (!reading) {
    try {
      await local.replSetInitiate(initialConfig(options.setName, options.first));
      outcome = "initiated";
    } catch (error) {
      if (errorCode(error) !== ERROR_CODES.AlreadyInitialized) throw error;
    }
  }
  if (!(await options.waitForPrimary(async () => (await local.hello()).writablePrimary))) throw new Error(`${options.first.pod} did not become primary of its new replica set`);
  try {
    if (await local.userExists("admin", options.admin.user)) return outcome;
  } catch (error) {
    if (errorCode(error) === ERROR_CODES.Unauthorized) return outcome;
    throw error;
  }
  await local.createUser("admin", options.admin.user, options.admin.password, [{ role: "root", db: "admin" }]);
  return "adminCreated";
}

/**
 * The application user, in the application database with readWrite and dbAdmin there (no
 * rights elsewhere). Its password follows the credentials Secret: a crash between a password
 * change and the Secret write heals on the next pass.
 */
export async function ensureApplicationUser(primary: MemberCommands, database: string, app: Credentials): Promise<"created" | "updated"> {
  if (await primary.userExists(database, app.user)) {
    await primary.updateUserPassword(database, app.user, app.password);
    return "updated";
  }
  await primary.createUser(database, app.user, app.password, [
    { role: "readWrite", db: database },
    { role: "dbAdmin", db: database },
  ]);
  return "created";
}

/** Plans and runs one membership step on the primary; returns the step (its reason is the Event's text). */
export async function stepMembership(primary: MemberCommands, input: { setName: string; desired: DesiredMember[]; primaryHost: string; podsUp: ReadonlySet<string> }): Promise<MembershipStep> {
  const reading = await primary.replSetGetConfig();
  const status = await primary.replSetGetStatus();
  const step = planMembership(
    { config: reading?.config, desired: input.desired, primary: input.primaryHost, members: status ? memberHealth(status) : [], committed: reading?.committed ?? true, podsUp: input.podsUp },
    input.setName,
  );
  // Initiation is the agent's (bootstrapReplicaSet): the operator never initiates from outside.
  if (step.action === "reconfig") await primary.replSetReconfig(step.config);
  return step;
}

export interface SwitchoverOutcome {
  ok: boolean;
  message: string;
}

/** How long the others stay frozen and the old primary ineligible: longer than an election takes. */
const HOLD_SECONDS = 60;

/**
 * Moves the primary to `target`, MongoDB's way: every other electable secondary is frozen (it
 * may not stand for election), the primary steps down once a secondary has caught up (so no
 * acknowledged write is lost), and the only candidate left, `target`, wins. The others are
 * unfrozen afterwards whatever happened. The step-down closes the primary's connections: an
 * error from that call is expected and judged by asking `target`.
 */
export async function switchover(members: ReadonlyMap<string, MemberCommands>, primary: string, target: string, waitFor: (check: () => Promise<boolean>) => Promise<boolean>): Promise<SwitchoverOutcome> {
  if (primary === target) return { ok: true, message: `${target} is already primary` };
  const primaryMember = members.get(primary);
  const targetMember = members.get(target);
  if (!primaryMember || !targetMember) return { ok: false, message: `${!primaryMember ? primary : target} cannot be reached` };
  if (!(await targetMember.hello()).secondary) return { ok: false, message: `${target} is not a secondary` };
  const frozen: MemberCommands[] = [];
  try {
    for (const [pod, member] of members) {
      if (pod === primary || pod === target) continue;
      try {
        await member.replSetFreeze(HOLD_SECONDS);
        frozen.push(member);
      } catch (error) {
        // An unreachable member cannot win an election either (it cannot collect votes).
        if (errorCode(error) !== undefined) throw error;
      }
    }
    try {
      await primaryMember.replSetStepDown(HOLD_SECONDS, 10);
    } catch (error) {
      if (errorCode(error) !== undefined) return { ok: false, message: `${primary} did not step down: ${describeError(error)}` };
    }
    const won = await waitFor(async () => (await targetMember.hello()).writablePrimary);
    return won ? { ok: true, message: `Switched the primary from ${primary} to ${target}` } : { ok: false, message: `${primary} stepped down but ${target} did not win the election in time` };
  } finally {
    for (const member of frozen) await member.replSetFreeze(0).catch(() => undefined);
  }
}
