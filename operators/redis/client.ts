/**
 * The engine client: one ioredis connection to one instance, as the operator's ACL user, and
 * what the operator reads and does through it. Short timeouts and no retries: a dead peer must
 * not hang a reconcile, and a command must never be replayed behind the operator's back.
 * Nothing here logs a password.
 */
import { Redis } from "ioredis";
import { parseInfo, type RedisFacts } from "./info.js";
import { REDIS_PORT } from "./names.js";

export interface RedisEndpoint {
  host: string;
  port: number;
  username: string;
  password: string;
}

export const CONNECT_TIMEOUT_MS = 1_000;
export const COMMAND_TIMEOUT_MS = 3_000;

export class RedisSession {
  private constructor(
    readonly name: string,
    private readonly redis: Redis,
  ) {}

  static async open(name: string, endpoint: RedisEndpoint, options: { connectTimeoutMs?: number; commandTimeoutMs?: number } = {}): Promise<RedisSession> {
    const redis = new Redis({
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.username,
      password: endpoint.password,
      connectionName: "steward-operator",
      connectTimeout: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      commandTimeout: options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS,
      lazyConnect: true,
      // The ready check waits out LOADING; the operator must see a loading instance as it is.
      enableReadyCheck: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      autoResubscribe: false,
    });
    // Errors surface through the command that hit them; an idle one must not crash the process.
    redis.on("error", () => undefined);
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    return new RedisSession(name, redis);
  }

  async info(): Promise<RedisFacts> {
    return parseInfo(await this.redis.info("server", "replication", "persistence"));
  }

  /** Stops following anyone and takes writes (a no-op on a primary). */
  async promote(): Promise<void> {
    await this.redis.replicaof("NO", "ONE");
  }

  /** Follows `host` (Redis keeps the link when it already follows it). */
  async replicateFrom(host: string, port = REDIS_PORT): Promise<void> {
    await this.redis.replicaof(host, port);
  }

  /** Disconnects every application client (they reconnect through the Services); keeps this session. */
  async killClients(): Promise<number> {
    const normal = Number(await this.redis.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"));
    const pubsub = Number(await this.redis.call("CLIENT", "KILL", "TYPE", "pubsub", "SKIPME", "yes"));
    return normal + pubsub;
  }

  /** Asks the primary to hand over to `host` (FAILOVER TO): writes pause until the target caught up. */
  async failoverTo(host: string, timeoutMs: number, port = REDIS_PORT): Promise<void> {
    await this.redis.call("FAILOVER", "TO", host, String(port), "TIMEOUT", String(timeoutMs));
  }

  /** WAIT on this connection: how many replicas acknowledged everything written before it. */
  async waitForReplicas(replicas: number, timeoutMs: number): Promise<number> {
    return this.redis.wait(replicas, timeoutMs);
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  destroy(): void {
    this.redis.disconnect();
  }
}

export async function withSession<T>(name: string, endpoint: RedisEndpoint, action: (session: RedisSession) => Promise<T>): Promise<T> {
  const session = await RedisSession.open(name, endpoint);
  try {
    return await action(session);
  } finally {
    await session.close();
  }
}
