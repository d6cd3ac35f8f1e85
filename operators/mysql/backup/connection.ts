import { readFileSync } from "node:fs";
import { createConnection, type Connection } from "mysql2/promise";
import type { EngineEndpoint } from "../../../backup/engine-backup.js";

/** A connection to the server a backup step works on: its socket beside it, else host and port. */
export async function connectTo(endpoint: EngineEndpoint, database?: string): Promise<Connection> {
  return createConnection({
    host: endpoint.socket ? undefined : endpoint.host,
    port: endpoint.socket ? undefined : endpoint.port,
    socketPath: endpoint.socket,
    user: endpoint.username,
    password: endpoint.password,
    database,
    connectTimeout: 10_000,
    ...(endpoint.caFile && !endpoint.socket ? { ssl: { ca: readFileSync(endpoint.caFile, "utf8"), rejectUnauthorized: true } } : {}),
    multipleStatements: false,
  });
}

export async function withConnection<T>(endpoint: EngineEndpoint, use: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await connectTo(endpoint);
  try {
    return await use(connection);
  } finally {
    await connection.end().catch(() => undefined);
  }
}
