import { describe, expect, it } from "vitest";
import { formatGtid } from "./gtid.js";
import { podFacts } from "../common/observed-pods.js";
import { instanceStatus, instanceView, replicatingCondition } from "./observe.js";
import type { InstanceFacts } from "./client.js";

const pod = { ...podFacts("db-1", undefined), exists: true, ready: true };
const facts = (binlog: string, replicated: string, io = "Yes", ioErrno = 0): InstanceFacts => ({
  variables: { serverId: 2, version: "10.11.19", readOnly: true, binlog, replicated, semiSyncSource: false },
  replication: { sourceHost: "db-0.h", sourcePort: 3306, ioRunning: io, sqlRunning: true, received: replicated, lagSeconds: 0, lastIoErrno: ioErrno, lastIoError: ioErrno ? "boom" : "", lastSqlErrno: 0, lastSqlError: "", ssl: false, gtidMode: "Slave_Pos" },
});

describe("observation", () => {
  it("a MariaDB replica whose binary log holds a GTID its slave position lacks has an errant transaction", () => {
    expect(instanceView("mariadb", "db-1", pod, facts("0-2-101", "0-1-100"), true).errant).toBe("0-2-101");
    expect(instanceView("mariadb", "db-1", pod, facts("0-1-100", "0-1-100"), true).errant).toBeUndefined();
    // Applying replicated transactions, the binary log may run ahead of gtid_slave_pos for a moment: not errant.
    expect(instanceView("mariadb", "db-1", pod, facts("0-1-101", "0-1-100"), true).errant).toBeUndefined();
  });
  it("a replica's received set excludes its own errant writes", () => {
    expect(formatGtid(instanceView("mariadb", "db-1", pod, facts("0-2-101", "0-1-100"), true).received!)).toBe("0-1-100");
  });
  it("reports role, position, replication state and errors into status.instances", () => {
    const view = instanceView("mariadb", "db-1", pod, facts("0-1-100", "0-1-100", "No", 1236), true);
    expect(instanceStatus({ name: "db-1", ordinal: 1, pod, facts: facts("0-1-100", "0-1-100", "No", 1236), view }, "db-0")).toEqual({
      name: "db-1",
      role: "replica",
      ready: true,
      readOnly: true,
      position: "0-1-100",
      lagSeconds: 0,
      replication: "Error",
      message: "IO error 1236: boom",
    });
  });
  it("the Replicating condition names what is wrong and what the operator does", () => {
    const view = instanceView("mariadb", "db-1", pod, facts("0-1-1", "0-1-1", "Connecting"), true);
    const condition = replicatingCondition([{ name: "db-1", ordinal: 1, pod, view }], "db-0", 3);
    expect(condition).toMatchObject({ status: "False", reason: "ReplicasNotStreaming" });
    expect(condition.message).toBe("db-1: Connecting; the operator re-points, restarts or re-seeds them");
  });
});
