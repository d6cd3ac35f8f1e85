/**
 * Role changes on one instance, each idempotent so a reconcile that died halfway simply runs
 * it again:
 * - freeze: a replica stops following the primary (it points at itself, which never feeds
 *   it: a replica without a primary link refuses SYNC), so its offset cannot move while the
 *   operator compares offsets; its data, history and offset stay as they are;
 * - fence: an old primary stops taking writes (it follows the new one, which discards what
 *   only it has) and loses its clients, which reconnect through the Services;
 * - promote: REPLICAOF NO ONE; its history continues, so the others resynchronise partially;
 * - replicate: follow the primary (Redis keeps an existing link to the same primary).
 */
import type { RedisSession, ReplicationSource } from "./client.js";
import type { RedisFacts } from "./info.js";
import { REDIS_PORT } from "./names.js";

export async function freeze(session: RedisSession, ownHost: string): Promise<void> {
  await session.replicateFrom({ host: ownHost, port: REDIS_PORT });
}

/** Returns how many client connections it closed. */
export async function fence(session: RedisSession, newPrimary: ReplicationSource): Promise<number> {
  await session.replicateFrom(newPrimary);
  return session.killClients();
}

export async function promote(session: RedisSession): Promise<RedisFacts> {
  await session.promote();
  const facts = await session.info();
  if (facts.role !== "master") throw new Error(`${session.name} still reports role ${facts.role} after REPLICAOF NO ONE`);
  return facts;
}

/** Points an instance at the primary; a stray primary also loses its clients. */
export async function replicate(session: RedisSession, primary: ReplicationSource, wasPrimary: boolean): Promise<void> {
  await session.replicateFrom(primary);
  if (wasPrimary) await session.killClients();
}
