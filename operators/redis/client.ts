/**
 * The engine client: one ioredis connection to one instance, as the operator's ACL user, and
 * what the operator reads and does through it. Short timeouts and no retries: a dead peer must
 * not hang a reconcile, and a command must never be replayed behind the operator's back.
 * Nothing here logs a password. With the cluster's CA the session goes over TLS, verifying the
 * server's certificate and its name (Node's checks, as for any TLS client).
 */
import type { TLSSocket } from "node:tls";
import { Redis } from "ioredis";
import { parseInfo, type RedisFacts } from "./info.js";

export interface RedisEndpoint {
  host: string;
  /** The plaintext port. */
  port: number;
  username: string;
  password: string;
  /**
   * The cluster's CA and TLS port: connect over TLS there, verifying the server with it;
   * `plaintextFallback`: the instance may not serve TLS yet (its pod predates it).
   */
  tls?: { ca: string; port: number; plaintextFallback?: boolean };
}

/** Where a replica follows its primary; `tls` also sets the replica's tls-replication (omitted: left as it is). */
export interface ReplicationSource {
  host: string;
  port: number;
  tls?: boolean;
}

function isRefused(error: unknown): boolean {
  return (error as { code?: string }).code === "ECONNREFUSED" || /ECONNREFUSED/.test((error as Error).message ?? "");
}

export const CONNECT_TIMEOUT_MS = 1_000;
export const COMMAND_TIMEOUT_MS = 3_000;

export class RedisSession {
  private constructor(
    readonly name: string,
    private readonly redis: Redis,
    /** Reached over TLS (the instance serves the TLS port). */
    readonly tls: boolean,
  ) {}

  static async open(name: string, endpoint: RedisEndpoint, options: { connectTimeoutMs?: number; commandTimeoutMs?: number } = {}): Promise<RedisSession> {
    if (!endpoint.tls) return RedisSession.connect(name, endpoint, options, undefined);
    try {
      return await RedisSession.connect(name, endpoint, options, endpoint.tls);
    } catch (error) {
      // An instance still running the configuration it had before TLS was switched on (an
      // upgraded cluster, until its rolling restart) has no TLS port: plaintext is what it
      // serves. A TLS port that answers with a wrong certificate is never retried without TLS.
      if (!endpoint.tls.plaintextFallback || !isRefused(error)) throw error;
      return RedisSession.connect(name, endpoint, options, undefined);
    }
  }

  private static async connect(name: string, endpoint: RedisEndpoint, options: { connectTimeoutMs?: number; commandTimeoutMs?: number }, tls: RedisEndpoint["tls"]): Promise<RedisSession> {
    const redis = new Redis({
      host: endpoint.host,
      port: tls ? tls.port : endpoint.port,
      // The chain against the cluster's CA and the host name against the certificate.
      ...(tls ? { tls: { ca: tls.ca, servername: endpoint.host, rejectUnauthorized: true } } : {}),
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
    return new RedisSession(name, redis, tls !== undefined);
  }

  /** When the certificate this instance presented to this session expires (TLS sessions only). */
  presentedNotAfter(): Date | undefined {
    if (!this.tls) return undefined;
    const certificate = (this.redis.stream as TLSSocket).getPeerCertificate?.();
    return certificate?.valid_to ? new Date(certificate.valid_to) : undefined;
  }

  /** Re-reads the certificate, key and CA files (Redis loads them again on CONFIG SET, even to the same paths). */
  async reloadTls(files: { cert: string; key: string; ca: string }): Promise<void> {
    await this.redis.call("CONFIG", "SET", "tls-cert-file", files.cert, "tls-key-file", files.key, "tls-ca-cert-file", files.ca);
  }

  async info(): Promise<RedisFacts> {
    return parseInfo(await this.redis.info("server", "replication", "persistence"));
  }

  /** Stops following anyone and takes writes (a no-op on a primary). */
  async promote(): Promise<void> {
    await this.redis.replicaof("NO", "ONE");
  }

  /**
   * Follows `source` (Redis keeps the link when it already follows it). Over TLS or not as the
   * source serves it: an instance with TLS configured replicates over TLS unless its primary
   * has no TLS port yet (a rolling upgrade that switched TLS on, until the primary restarts).
   */
  async replicateFrom(source: ReplicationSource): Promise<void> {
    if (this.tls && source.tls !== undefined) await this.redis.call("CONFIG", "SET", "tls-replication", source.tls ? "yes" : "no");
    await this.redis.replicaof(source.host, source.port);
  }

  /** Disconnects every application client (they reconnect through the Services); keeps this session. */
  async killClients(): Promise<number> {
    const normal = Number(await this.redis.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"));
    const pubsub = Number(await this.redis.call("CLIENT", "KILL", "TYPE", "pubsub", "SKIPME", "yes"));
    return normal + pubsub;
  }

  /**
   * Asks the primary to hand over to `target` (FAILOVER TO): writes pause until the target
   * caught up. The old primary then follows the target, over TLS as set here.
   */
  async failoverTo(target: ReplicationSource, timeoutMs: number): Promise<void> {
    if (this.tls && target.tls !== undefined) await this.redis.call("CONFIG", "SET", "tls-replication", target.tls ? "yes" : "no");
    await this.redis.call("FAILOVER", "TO", target.host, String(target.port), "TIMEOUT", String(timeoutMs));
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
