/**
 * What one heal pass of a MongoDB cluster works with: the writes every engine makes
 * (common/heal-context.ts), the observation, and sessions with members as the operator's
 * admin user.
 */
import { ClusterHealContext } from "../common/heal-context.js";
import { ROLE_PRIMARY, ROLE_REPLICA } from "../common/names.js";
import type { EngineContext } from "../engine.js";
import type { MongodbEngine, MongodbPrepared } from "./engine.js";
import type { MemberCommands } from "./member.js";
import { mongodbNames, type MongodbNames } from "./names.js";
import type { MongodbObservation } from "./observe.js";

/** How soon a pass that found the promotion Lease taken comes back. */
const LEASE_RETRY_MS = 500;

export class MongodbHealContext extends ClusterHealContext<MongodbNames> {
  /** A problem the user must fix (phase Failed), e.g. a backup that keeps failing to load. */
  failed?: string;
  private readonly sessions = new Map<string, Promise<MemberCommands>>();

  constructor(
    readonly engine: MongodbEngine,
    context: EngineContext,
    readonly prepared: MongodbPrepared,
    readonly observation: MongodbObservation,
  ) {
    super(
      context,
      mongodbNames(context.cluster),
      { holder: engine.identity, retryMs: LEASE_RETRY_MS },
      observation.readings.map((reading) => [reading.name, reading.pod.role]),
    );
  }

  /** The member's address in the replica-set configuration (its stable DNS name and port). */
  memberHost(pod: string): string {
    return this.engine.memberHost(this.context, pod);
  }

  /** A session as the admin user, opened once per pass and closed by `closeSessions`. */
  session(pod: string): Promise<MemberCommands> {
    let session = this.sessions.get(pod);
    if (!session) {
      session = this.engine.connect(this.context, this.prepared, pod, true);
      this.sessions.set(pod, session);
    }
    return session;
  }

  /** Sessions to every member that answered hello, for a switchover. */
  async sessionsToAnswering(): Promise<Map<string, MemberCommands>> {
    const result = new Map<string, MemberCommands>();
    for (const pod of this.observation.podsUp) {
      try {
        result.set(pod, await this.session(pod));
      } catch {
        // A member that cannot be reached now cannot win an election either.
      }
    }
    return result;
  }

  async closeSessions(): Promise<void> {
    for (const session of this.sessions.values()) await session.then((member) => member.close()).catch(() => undefined);
    this.sessions.clear();
  }

  /** Labels for the Services: the primary label moves only after every other pod lost it (never two behind the Service). */
  async labelRoles(): Promise<void> {
    const primary = this.observation.electedPrimary;
    for (const [pod, role] of this.observation.roles) if (role !== "primary" && this.roleOf(pod) === ROLE_PRIMARY) await this.setRole(pod, role === "replica" ? ROLE_REPLICA : undefined);
    for (const [pod, role] of this.observation.roles) await this.setRole(pod, pod === primary ? ROLE_PRIMARY : role === "replica" ? ROLE_REPLICA : undefined);
  }
}
