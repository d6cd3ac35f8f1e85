/**
 * The engine's building blocks against real mariadbd processes (no Kubernetes): the
 * initialization SQL, seeding a replica through the agent's HTTP stream, GTID replication with
 * semi-sync, the failover planner on real observations, promotion, rejoin and errant
 * detection. The same code runs in pods; the end-to-end tests prove it there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { MariadbFixture, fixtureSpec, type MariadbInstance } from "../../test/fixtures/mariadb.js";
import { InstanceSession } from "./client.js";
import { podFacts } from "../common/observed-pods.js";
import { instanceView, readInstance } from "./observe.js";
import { chooseFailoverCandidate, mayReopenPrimary, planReplica, type InstanceView } from "./planner.js";
import { fence, promote, reopenPrimary, replicateFrom } from "./roles.js";
import { ensureApplicationAccount, seedSql } from "./users.js";
import { runMysqlInit } from "./agent/init.js";
import { startSidecar } from "./agent/sidecar.js";
import { semiSyncTimeoutMs } from "./config.js";
import { AGENT_PORT, MYSQL_PORT, STATE_FILES } from "./names.js";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const spec = fixtureSpec();
const fixture = new MariadbFixture(spec, "db");
const sidecars = new Map<string, Server>();

async function session(instance: MariadbInstance): Promise<InstanceSession> {
  return InstanceSession.open(instance.name, instance.endpoint(), "mariadb");
}

async function run<T>(instance: MariadbInstance, action: (session: InstanceSession) => Promise<T>): Promise<T> {
  const opened = await session(instance);
  try {
    return await action(opened);
  } finally {
    await opened.close();
  }
}

async function views(instances: MariadbInstance[]): Promise<InstanceView[]> {
  return Promise.all(
    instances.map(async (instance) => {
      const result = instance.running ? await readInstance(instance.name, instance.endpoint(), "mariadb") : { error: "stopped" };
      return instanceView("mariadb", instance.name, { ...podFacts(instance.name, undefined), exists: true, ready: instance.running }, result.facts, true);
    }),
  );
}

async function sidecarFor(instance: MariadbInstance): Promise<void> {
  if (sidecars.has(instance.name)) return;
  const server = await startSidecar({
    host: instance.host,
    port: AGENT_PORT,
    token: fixture.credentials.agent,
    rootPassword: fixture.credentials.root,
    socket: instance.socket,
    dataDir: instance.dataDir,
    stateDir: instance.stateDir,
    tmpDir: instance.tmpDir,
    log: () => undefined,
  });
  sidecars.set(instance.name, server);
}

/** What the init step and start.sh do for a replica: copy the primary through its agent, set the GTID position, start. */
async function seedAndStart(instance: MariadbInstance, primary: MariadbInstance): Promise<string> {
  await sidecarFor(primary);
  const outcome = await runMysqlInit({
    podName: instance.name,
    namespace: "test",
    flavor: "mariadb",
    bootstrapped: true,
    primaryService: "unused",
    rootPassword: fixture.credentials.root,
    replicationPassword: fixture.credentials.replication,
    monitorPassword: fixture.credentials.monitor,
    agentToken: fixture.credentials.agent,
    paths: { dataDir: instance.dataDir, stateDir: instance.stateDir },
    seedUrl: `http://${primary.host}:${AGENT_PORT}/v1/mysql/seed`,
    retryDelayMs: 200,
    log: () => undefined,
  });
  const { readFileSync, rmSync } = await import("node:fs");
  const seedFile = join(instance.stateDir, STATE_FILES.seedSql);
  instance.runBootstrap(readFileSync(seedFile, "utf8"));
  rmSync(seedFile);
  await instance.start();
  return outcome;
}

async function replicate(instance: MariadbInstance, primary: MariadbInstance, formerPrimary: boolean): Promise<void> {
  await run(instance, (opened) => replicateFrom(opened, { sourceHost: primary.host, sourcePort: MYSQL_PORT, replicationPassword: fixture.credentials.replication, formerPrimary }));
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function count(instance: MariadbInstance): Promise<number> {
  const [row] = await instance.query<{ n: number }>("SELECT COUNT(*) AS n FROM db.t");
  return Number(row?.n);
}

beforeAll(async () => {
  const primary = fixture.add(0);
  primary.initialize();
  await primary.start();
}, 120_000);

afterAll(async () => {
  for (const server of sidecars.values()) server.close();
  await fixture.destroy();
});

describe("given a brand-new MariaDB instance initialized by the engine's SQL", () => {
  it("starts read-only, has no anonymous users, and the operator makes it a writable primary with the application account", async () => {
    const primary = fixture.instances[0]!;
    const [before] = await primary.query<{ ro: number }>("SELECT @@read_only AS ro");
    expect(Number(before!.ro)).toBe(1);
    const anonymous = await primary.query("SELECT User, Host FROM mysql.user WHERE User = ''");
    expect(anonymous).toEqual([]);
    await run(primary, async (opened) => {
      // As the operator bootstraps: semi-sync waits until a replica streams (nobody could ack before).
      await reopenPrimary(opened, false, semiSyncTimeoutMs(spec));
      expect(await ensureApplicationAccount(opened, { database: "db", username: "app" }, fixture.credentials.app)).toEqual(["created database db", "created user app"]);
      // A second pass writes nothing (no GTIDs from a healthy reconcile).
      expect(await ensureApplicationAccount(opened, { database: "db", username: "app" }, fixture.credentials.app)).toEqual([]);
    });
    const app = await primary.connect("app", "db");
    await app.query("CREATE TABLE t (id INT PRIMARY KEY, at TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP(6))");
    await app.query("INSERT INTO t (id) VALUES (1), (2), (3)");
    await app.end();
  }, 60_000);
});

describe("given a primary with data, when replicas join", () => {
  it("copies the primary through its agent's stream and replicates with GTID auto-positioning and semi-sync", async () => {
    const primary = fixture.instances[0]!;
    for (const ordinal of [1, 2]) {
      const replica = fixture.add(ordinal);
      expect(await seedAndStart(replica, primary)).toBe("seeded");
      await replicate(replica, primary, true);
    }
    await run(primary, (opened) => opened.run(opened.sql.setSemiSyncSource(true, semiSyncTimeoutMs(spec))));
    await primary.query("INSERT INTO db.t (id) VALUES (4)");
    for (const replica of fixture.instances.slice(1)) await waitFor(`${replica!.name} to have 4 rows`, async () => (await count(replica!)) === 4);
    const [clients] = await primary.query<{ Value: string }>("SHOW STATUS LIKE 'Rpl_semi_sync_master_clients'");
    expect(Number(clients!.Value)).toBe(2);
    const observed = await views(fixture.instances);
    expect(observed.map((view) => view.errant)).toEqual([undefined, undefined, undefined]);
    for (const view of observed.slice(1)) expect(planReplica(view, observed[0]!, primary.host)).toEqual({ action: "none" });
  }, 120_000);

  it("refuses a copy without the agent token", async () => {
    const response = await fetch(`http://${fixture.instances[0]!.host}:${AGENT_PORT}/v1/mysql/seed`, { headers: { authorization: "Bearer wrong" } });
    expect(response.status).toBe(401);
  });
});

describe("given a 3-node cluster under write load, when the primary's process is killed", () => {
  it("promotes the replica holding every acknowledged write, and no acknowledged write is lost", async () => {
    const [primary, ...replicas] = fixture.instances as MariadbInstance[];
    const acknowledged: number[] = [];
    let stop = false;
    let next = 1000;
    const writers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const id = next++;
        try {
          const connection = await primary!.connect("app", "db");
          try {
            while (!stop) {
              const mine = next++;
              await connection.query("INSERT INTO t (id) VALUES (?)", [mine]);
              acknowledged.push(mine);
            }
          } finally {
            connection.destroy();
          }
        } catch {
          void id;
          break;
        }
      }
    });
    await sleep(1500);
    const killedAt = Date.now();
    await primary!.kill();
    stop = true;
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThan(50);

    const observed = await views(fixture.instances as MariadbInstance[]);
    const plan = chooseFailoverCandidate(observed, primary!.name, "none");
    expect(plan.action === "wait" ? plan.reason : plan.action).toBe("promote");
    if (plan.action !== "promote") return;
    const candidate = fixture.instance(plan.candidate);
    await run(candidate, (opened) => promote(opened, { waitFor: plan.waitFor, waitTimeoutSeconds: 30, semiSync: true, semiSyncTimeoutMs: semiSyncTimeoutMs(spec), openWrites: false }));
    for (const other of replicas.filter((replica) => replica !== candidate)) await replicate(other, candidate, false);
    await run(candidate, (opened) => opened.run(opened.sql.setReadOnly(false)));
    const app = await candidate.connect("app", "db");
    await app.query("INSERT INTO t (id) VALUES (999999)");
    await app.end();
    const firstWriteMs = Date.now() - killedAt;

    const rows = await candidate.query<{ id: number }>("SELECT id FROM db.t");
    const present = new Set(rows.map((row) => Number(row.id)));
    const lost = acknowledged.filter((id) => !present.has(id));
    expect(lost).toEqual([]);
    console.log(`failover without Kubernetes: first acknowledged write ${firstWriteMs} ms after the kill; ${acknowledged.length} acknowledged writes, ${lost.length} lost`);
  }, 120_000);

  it("when the old primary comes back it is read-only and rejoins as a replica, or is re-seeded when it holds transactions the new primary lacks", async () => {
    const old = fixture.instances[0]!;
    await old.start();
    const [ro] = await old.query<{ ro: number }>("SELECT @@read_only AS ro");
    expect(Number(ro!.ro)).toBe(1);
    const observed = await views(fixture.instances as MariadbInstance[]);
    const newPrimaryView = observed.find((view) => view.reachable && view.readOnly === false)!;
    const newPrimary = fixture.instance(newPrimaryView.name);
    // The old primary must not be reopened: a replica was promoted past it.
    const oldView = observed[0]!;
    const plan = planReplica(oldView, newPrimaryView, newPrimary.host);
    if (plan.action === "replicate") {
      await replicate(old, newPrimary, plan.formerPrimary);
      await newPrimary.query("INSERT INTO db.t (id) VALUES (1000000)");
      // Either it follows, or MariaDB's strict GTID check finds it forked (1236) and it is re-seeded.
      await waitFor("the old primary to follow or report a fork", async () => {
        const [view] = await views([old]);
        return view!.replication?.ioErrno === 1236 || (await count(old)) === (await count(newPrimary));
      });
      const [after] = await views([old]);
      if (after!.replication?.ioErrno === 1236) expect(planReplica(after!, newPrimaryView, newPrimary.host).action).toBe("reseed");
    } else {
      expect(plan.action).toBe("reseed");
    }
    // Re-seed it either way (as the operator does when it must): marker, restart, copy.
    await old.stop();
    writeFileSync(join(old.stateDir, STATE_FILES.reseed), "test");
    expect(await seedAndStart(old, newPrimary)).toBe("seeded");
    expect(existsSync(join(old.stateDir, STATE_FILES.reseed))).toBe(false);
    await replicate(old, newPrimary, false);
    await newPrimary.query("INSERT INTO db.t (id) VALUES (1000001)");
    await waitFor("the re-seeded instance to catch up", async () => (await count(old)) === (await count(newPrimary)));
    const [view] = await views([old]);
    expect(view!.errant).toBeUndefined();
    expect(view!.replication?.ioRunning).toBe("Yes");
  }, 120_000);
});

describe("given a replica, when someone writes on it with binary logging on", () => {
  it("is seen as errant, never promoted, and planned for a re-seed", async () => {
    const observedBefore = await views(fixture.instances as MariadbInstance[]);
    const primaryView = observedBefore.find((view) => view.readOnly === false)!;
    const replica = fixture.instance(observedBefore.find((view) => view.readOnly === true && view.replication)!.name);
    await replica.query("CREATE DATABASE IF NOT EXISTS errant_writes");
    const observed = await views(fixture.instances as MariadbInstance[]);
    const view = observed.find((item) => item.name === replica.name)!;
    expect(view.errant).toMatch(/^0-\d+-\d+$/);
    const plan = chooseFailoverCandidate(observed, primaryView.name, "allowed");
    if (plan.action === "promote") expect(plan.candidate).not.toBe(replica.name);
    expect(planReplica(view, primaryView, fixture.instance(primaryView.name).host).action).toBe("reseed");
  }, 60_000);
});

describe("fencing", () => {
  it("makes a primary read-only and closes its client sessions, keeping the operator's", async () => {
    const observed = await views(fixture.instances as MariadbInstance[]);
    const primary = fixture.instance(observed.find((view) => view.readOnly === false)!.name);
    const app = await primary.connect("app", "db");
    const result = await run(primary, (opened) => fence(opened));
    expect(result.killedSessions).toBeGreaterThanOrEqual(1);
    await expect(app.query("SELECT 1")).rejects.toThrow();
    app.destroy();
    const [after] = await views([primary]);
    expect(after!.readOnly).toBe(true);
    expect(mayReopenPrimary(after!, observed).reopen).toBe(true);
    await run(primary, (opened) => reopenPrimary(opened, true, semiSyncTimeoutMs(spec)));
  }, 60_000);

  it("sets the GTID position of a copied replica without creating a local transaction", () => {
    expect(seedSql("0-1-80,1-6-3")).toBe(
      "DELETE FROM mysql.gtid_slave_pos;\nINSERT INTO mysql.gtid_slave_pos (domain_id, sub_id, server_id, seq_no) VALUES (0, 1, 1, 80), (1, 2, 6, 3);\n",
    );
  });
});
