import type { Connection, RowDataPacket } from "mysql2/promise";
import type { TableChecksum } from "../../../backup/engine-backup.js";
import { SYSTEM_SCHEMAS } from "./dump-command.js";

function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, "``")}\``;
}

/**
 * CHECKSUM TABLE of every table a backup holds (the server's own schemas excluded), on an open
 * connection: inside a consistent snapshot (START TRANSACTION WITH CONSISTENT SNAPSHOT) InnoDB
 * answers it from that snapshot, which is how a physical copy's checksums are recorded at
 * backup time (agent/copy-checksums.ts).
 */
export async function tableChecksums(connection: Connection): Promise<TableChecksum[]> {
  const [tables] = await connection.query<RowDataPacket[]>(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN (${SYSTEM_SCHEMAS.map(() => "?").join(",")}) ORDER BY TABLE_SCHEMA, TABLE_NAME`,
    [...SYSTEM_SCHEMAS],
  );
  const names = tables.map((row) => `${quoteIdentifier(String(row.s))}.${quoteIdentifier(String(row.t))}`);
  const result: TableChecksum[] = [];
  for (let start = 0; start < names.length; start += 50) {
    const [rows] = await connection.query<RowDataPacket[]>(`CHECKSUM TABLE ${names.slice(start, start + 50).join(", ")}`);
    for (const row of rows) result.push({ table: String(row.Table), checksum: row.Checksum === null ? "null" : String(row.Checksum) });
  }
  return result;
}
