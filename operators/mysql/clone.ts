/**
 * MySQL 8.4 seeding: an empty replica copies the primary with the clone plugin
 * (plugin-load-add=mysql_clone.so in my.cnf). After CLONE INSTANCE the recipient restarts
 * (the container restarts it) with the donor's data and gtid_executed; the operator then
 * points it at the primary with SOURCE_AUTO_POSITION=1. MariaDB has no clone plugin: its
 * replicas are copied by the agent (agent/seed-stream.ts).
 */
import type { Statement } from "./flavor.js";

export function cloneStatements(donor: { host: string; port: number; password: string; user?: string }): Statement[] {
  return [
    { sql: "SET GLOBAL clone_valid_donor_list = ?", values: [`${donor.host}:${donor.port}`] },
    { sql: "CLONE INSTANCE FROM ?@?:? IDENTIFIED BY ?", values: [donor.user ?? "root", donor.host, donor.port, donor.password] },
  ];
}
