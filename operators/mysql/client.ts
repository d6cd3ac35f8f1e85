/**
 * The engine client: one SQL session with one instance (mysql2), and what the operator reads
 * and does through it. Flavour differences come from flavor.ts; nothing here logs a password.
 */
import { createConnection, type Connection, type RowDataPacket } from "mysql2/promise";
import { flavorSql, type FlavorSql, type ReplicationStatus, type ServerVariables, type Statement } from "./flavor.js";

export interface Endpoint {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The cluster's CA: connect over TLS and verify the server's certificate and name with it. */
  ca?: string;
}

export interface InstanceFacts {
  variables: ServerVariables;
  /** Absent when the instance has no replication configured. */
  replication?: ReplicationStatus;
  /** Client sessions (not replication or system threads). */
  clientSessions?: number;
}

export const CONNECT_TIMEOUT_MS = 1_000;
export const QUERY_TIMEOUT_MS = 3_000;
export const CLOSE_TIMEOUT_MS = 1_000;

/** One session with one instance. Callers close it (use `withInstance`). */
export class InstanceSession {
  private constructor(
    readonly name: string,
    private readonly connection: Connection,
    readonly sql: FlavorSql,
  ) {}

  static async open(name: string, endpoint: Endpoint, flavor: FlavorSql["flavor"], connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<InstanceSession> {
    try {
      return await InstanceSession.connect(name, endpoint, flavor, connectTimeoutMs, endpoint.ca);
    } catch (error) {
      // An instance still running the config it had before TLS was switched on (an upgraded
      // cluster, until its rolling restart) offers no TLS at all: plaintext is what it serves.
      // A server that offers TLS with a wrong certificate is never retried without it.
      if (!endpoint.ca || !/does not support secure connection/i.test((error as Error).message)) throw error;
      return InstanceSession.connect(name, endpoint, flavor, connectTimeoutMs, undefined);
    }
  }

  private static async connect(name: string, endpoint: Endpoint, flavor: FlavorSql["flavor"], connectTimeoutMs: number, ca: string | undefined): Promise<InstanceSession> {
    const connection = await createConnection({
      host: endpoint.host,
      port: endpoint.port,
      user: endpoint.user,
      password: endpoint.password,
      connectTimeout: connectTimeoutMs,
      // Verifies the chain and that the certificate names the host (Node's checkServerIdentity).
      ...(ca ? { ssl: { ca, rejectUnauthorized: true } } : {}),
      // Administrative statements only; no user data passes through this session.
      multipleStatements: false,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    // A dead peer must not hang the reconcile.
    connection.on("error", () => undefined);
    return new InstanceSession(name, connection, flavorSql(flavor));
  }

  async query(statement: string | Statement, timeoutMs = QUERY_TIMEOUT_MS): Promise<Record<string, unknown>[]> {
    const { sql, values } = typeof statement === "string" ? { sql: statement, values: undefined } : statement;
    try {
      const [rows] = await this.connection.query<RowDataPacket[]>({ sql, values, timeout: timeoutMs });
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    } catch (error) {
      // mysql2's timeout only rejects: the statement stays at the head of the connection's queue,
      // so every later statement, and close()'s QUIT, would wait behind it for ever (seen with a
      // fence's read_only=1 queued behind a commit waiting for a semi-sync ACK after a network
      // cut: the reconcile hung and the cluster was never reconciled again). The session is done.
      if ((error as { code?: string }).code === "PROTOCOL_SEQUENCE_TIMEOUT") this.connection.destroy();
      throw error;
    }
  }

  async run(statements: (string | Statement)[], timeoutMs = QUERY_TIMEOUT_MS): Promise<void> {
    for (const statement of statements) await this.query(statement, timeoutMs);
  }

  async facts(): Promise<InstanceFacts> {
    const [variables] = await this.query(this.sql.variables);
    const [replica] = await this.query(this.sql.replicaStatus);
    const [sessions] = await this.query(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon', 'Slave_IO', 'Slave_SQL', 'Slave_worker') AND USER NOT IN ('system user', 'event_scheduler') AND ID <> CONNECTION_ID()",
    );
    return {
      variables: this.sql.parseVariables(variables ?? {}),
      replication: replica ? this.sql.parseReplicaStatus(replica) : undefined,
      clientSessions: Number(sessions?.n ?? 0),
    };
  }

  /** Kills every client session except ours, replication threads and the given users' (the operator's). */
  async killClientSessions(keepUsers: string[]): Promise<number> {
    const rows = await this.query({
      sql:
        "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon', 'Slave_IO', 'Slave_SQL', 'Slave_worker') " +
        "AND USER NOT IN ('system user', 'event_scheduler') AND USER NOT IN (?)",
      values: [keepUsers.length > 0 ? keepUsers : [""]] as unknown as string[],
    });
    let killed = 0;
    for (const row of rows) {
      try {
        await this.query(`KILL CONNECTION ${Number(row.id)}`);
        killed++;
      } catch {
        // Gone already.
      }
    }
    return killed;
  }

  async close(): Promise<void> {
    // QUIT waits for the server's answer; a server that never sends it must not hold the reconcile.
    const ended = this.connection.end().then(
      () => true,
      () => false,
    );
    const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS).unref());
    if (!(await Promise.race([ended, timer]))) this.connection.destroy();
  }

  destroy(): void {
    this.connection.destroy();
  }
}

export async function withInstance<T>(name: string, endpoint: Endpoint, flavor: FlavorSql["flavor"], action: (session: InstanceSession) => Promise<T>): Promise<T> {
  const session = await InstanceSession.open(name, endpoint, flavor);
  try {
    return await action(session);
  } finally {
    await session.close();
  }
}
