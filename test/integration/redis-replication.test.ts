/**
 * The Redis engine's client, planner and role changes against real redis-server processes
 * (operators/redis: client.ts, info.ts, planner.ts, roles.ts), without Kubernetes: given a
 * primary and two replicas configured as the pods are, under continuous WAIT-acknowledged
 * writes, when the primary is SIGKILLed, then freeze → choose → promote → re-point keeps every
 * acknowledged write, three times in a row; a switchover with FAILOVER TO loses nothing; a
 * primary that restarts is not reopened while replicas hold its history; after a full crash
 * the old primary resumes with what its append-only file held.
 */
import { createConnection } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisSession } from "../../operators/redis/client.js";
import type { RedisFacts } from "../../operators/redis/info.js";
import { chooseFailoverCandidate, type RedisInstanceView } from "../../operators/redis/planner.js";
import { REDIS_PORT } from "../../operators/redis/names.js";
import { fence, freeze, promote, replicate } from "../../operators/redis/roles.js";
import { missingIdsIn, newPasswords, startRedis, waitForLink, withOperatorSession, type RedisServer } from "../fixtures/redis.js";

const passwords = newPasswords();
let servers: RedisServer[] = [];

async function facts(server: RedisServer): Promise<RedisFacts | undefined> {
  try {
    const session = await RedisSession.open(server.name, server.operatorEndpoint(), { connectTimeoutMs: 500 });
    try {
      return await session.info();
    } finally {
      session.destroy();
    }
  } catch {
    return undefined;
  }
}

async function views(lastStreaming: Set<string>): Promise<RedisInstanceView[]> {
  return Promise.all(
    servers.map(async (server, ordinal) => {
      const read = await facts(server);
      const view: RedisInstanceView = { name: server.name, ordinal, podExists: true, podReady: read !== undefined, terminating: false };
      if (read) view.facts = read;
      if (lastStreaming.has(server.name)) view.last = { replid: "0".repeat(40), offset: 0, streaming: true };
      return view;
    }),
  );
}

const byName = (name: string) => servers.find((server) => server.name === name)!;

/** Writes id after id with WAIT 1, recording the ids WAIT acknowledged; follows `primary()` after errors. */
function startWriter(primary: () => RedisServer) {
  const acknowledged: number[] = [];
  let stopped = false;
  let errors = 0;
  let next = 0;
  const loop = (async () => {
    let client: Redis | undefined;
    let connectedTo: string | undefined;
    while (!stopped) {
      try {
        const target = primary();
        if (!client || connectedTo !== target.name) {
          client?.disconnect();
          client = target.appClient({ lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, connectTimeout: 300, commandTimeout: 1000 });
          client.on("error", () => undefined);
          await client.connect();
          connectedTo = target.name;
        }
        const id = next++;
        const [, [, replicas]] = (await client.multi().set(`id:${id}`, String(id)).exec().then(async (result) => [result, [null, await client!.wait(1, 500)]])) as [unknown, [null, number]];
        if (replicas >= 1) acknowledged.push(id);
      } catch {
        errors++;
        client?.disconnect();
        client = undefined;
        await sleep(20);
      }
    }
    client?.disconnect();
  })();
  return {
    acknowledged,
    errors: () => errors,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

async function missingIds(server: RedisServer, ids: number[]): Promise<number[]> {
  const client = server.appClient();
  await client.connect();
  try {
    return await missingIdsIn(client, ids);
  } finally {
    client.disconnect();
  }
}

describe("Redis replication, failover and switchover against real redis-server", () => {
  let primary: RedisServer;

  beforeAll(async () => {
    servers = await Promise.all([0, 1, 2].map((ordinal) => startRedis({ name: `r-${ordinal}`, passwords, writeQuorum: true })));
    primary = servers[0]!;
    await withOperatorSession(primary, (session) => promote(session));
    for (const replica of servers.slice(1)) await withOperatorSession(replica, (session) => replicate(session, { host: primary.host, port: REDIS_PORT }, false));
    for (const replica of servers.slice(1)) await waitForLink(replica);
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.destroy()));
  });

  it("starts every instance as a replica, and the primary lists its replicas by the names they announce", async () => {
    const info = (await facts(primary))!;
    expect(info.role).toBe("master");
    expect(info.replicas.map((link) => link.host).sort()).toEqual([servers[1]!.host, servers[2]!.host].sort());
    expect(info.goodReplicas).toBeGreaterThanOrEqual(1);
    for (const replica of servers.slice(1)) expect(await facts(replica)).toMatchObject({ role: "slave", masterHost: primary.host, linkUp: true, replid: info.replid });
  });

  it("gives the application user data commands and WAIT, but no administration; the default user is off", async () => {
    const app = primary.appClient();
    await app.connect();
    try {
      expect(await app.set("hello", "world")).toBe("OK");
      expect(await app.wait(1, 1000)).toBeGreaterThanOrEqual(1);
      await expect(app.replicaof("NO", "ONE")).rejects.toThrow(/NOPERM/);
      await expect(app.call("CONFIG", "SET", "appendonly", "no")).rejects.toThrow(/NOPERM/);
    } finally {
      app.disconnect();
    }
    // Without a name and password nothing but AUTH/HELLO is accepted.
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ host: primary.host, port: primary.port }, () => socket.write("GET hello\r\n"));
      socket.setEncoding("utf8");
      socket.once("data", (data: string) => {
        socket.destroy();
        resolve(data);
      });
      socket.once("error", reject);
    });
    expect(reply).toMatch(/^-NOAUTH/);
  });

  it("keeps every WAIT-acknowledged write through three SIGKILLs of the primary (freeze, choose, promote, re-point)", async () => {
    const writer = startWriter(() => primary);
    const report: string[] = [];
    try {
      for (let round = 1; round <= 3; round++) {
        await sleep(700);
        const before = writer.acknowledged.length;
        const killedAt = Date.now();
        await primary.kill();
        const old = primary;
        const streaming = new Set(servers.filter((server) => server !== old).map((server) => server.name));
        const first = await views(streaming);
        for (const view of first) if (view.name !== old.name && view.facts) await withOperatorSession(byName(view.name), (session) => freeze(session, byName(view.name).host));
        const frozen = await views(streaming);
        const lineage = first.find((view) => view.facts && view.facts.role === "slave")!.facts!.replid;
        const plan = chooseFailoverCandidate(frozen, old.name, lineage, "none");
        expect(plan.action).toBe("promote");
        if (plan.action !== "promote") return;
        const candidate = byName(plan.candidate);
        await withOperatorSession(candidate, (session) => promote(session));
        for (const other of servers) if (other !== candidate && other !== old) await withOperatorSession(other, (session) => replicate(session, { host: candidate.host, port: REDIS_PORT }, false));
        primary = candidate;
        const promotedMs = Date.now() - killedAt;
        // The old primary comes back (as every instance does: a replica) and rejoins.
        await old.start();
        await withOperatorSession(old, (session) => fence(session, { host: candidate.host, port: REDIS_PORT }));
        await waitForLink(old);
        report.push(`round ${round}: ${old.name} -> ${candidate.name} in ${promotedMs} ms, ${writer.acknowledged.length - before} acked meanwhile`);
      }
      await sleep(500);
    } finally {
      await writer.stop();
    }
    console.log(report.join("\n"), `\nacknowledged ${writer.acknowledged.length}, errors ${writer.errors()}`);
    expect(writer.acknowledged.length).toBeGreaterThan(100);
    expect(await missingIds(primary, writer.acknowledged)).toEqual([]);
  });

  it("switches over with FAILOVER TO without losing an acknowledged write", async () => {
    const target = servers.find((server) => server !== primary)!;
    await waitForLink(target);
    const writer = startWriter(() => primary);
    await sleep(500);
    const started = Date.now();
    await withOperatorSession(primary, (session) => session.failoverTo({ host: target.host, port: REDIS_PORT }, 5000));
    let after: RedisFacts | undefined;
    for (;;) {
      after = await facts(primary);
      if (after?.failoverState === "no-failover") break;
      await sleep(10);
    }
    const handedOverMs = Date.now() - started;
    expect(after).toMatchObject({ role: "slave", masterHost: target.host });
    expect((await facts(target))?.role).toBe("master");
    const old = primary;
    primary = target;
    await withOperatorSession(old, (session) => session.killClients());
    for (const other of servers) if (other !== target && other !== old) await withOperatorSession(other, (session) => replicate(session, { host: target.host, port: REDIS_PORT }, false));
    await sleep(500);
    await writer.stop();
    console.log(`FAILOVER TO handed over in ${handedOverMs} ms`);
    expect(await missingIds(primary, writer.acknowledged)).toEqual([]);
  });

  it("does not let a primary that restarted (new history) take over from replicas that hold its history", async () => {
    const old = primary;
    for (const other of servers) if (other !== old) await waitForLink(other);
    await old.kill();
    await old.start();
    const plan = chooseFailoverCandidate(await views(new Set()), old.name, (await facts(servers.find((server) => server !== old)!))!.replid, "none");
    expect(plan.action).toBe("promote");
    if (plan.action === "promote") {
      primary = byName(plan.candidate);
      await withOperatorSession(primary, (session) => promote(session));
      for (const other of servers) if (other !== primary) await withOperatorSession(other, (session) => replicate(session, { host: primary.host, port: REDIS_PORT }, false));
      for (const other of servers) if (other !== primary) await waitForLink(other);
    }
  });

  it("lets the old primary resume after a full crash, with what its append-only file held", async () => {
    const app = primary.appClient();
    await app.connect();
    await app.set("before-crash", "kept");
    expect(await app.wait(2, 2000)).toBe(2);
    app.disconnect();
    await sleep(1100); // appendfsync everysec
    const lineage = (await facts(primary))!.replid;
    await Promise.all(servers.map((server) => server.kill()));
    await Promise.all(servers.map((server) => server.start()));
    // A server answers while it still loads its append-only file; the planner waits for that
    // (as the operator does on its next pass), so ask again until nothing is loading.
    const planNow = async () => chooseFailoverCandidate(await views(new Set(servers.map((server) => server.name))), primary.name, lineage, "none");
    let plan = await planNow();
    for (let attempt = 0; attempt < 50 && plan.action === "wait" && plan.reason.includes("loading"); attempt++) {
      await sleep(100);
      plan = await planNow();
    }
    expect(plan.action, plan.reason).toBe("reopen");
    await withOperatorSession(primary, (session) => promote(session));
    const check = primary.appClient();
    await check.connect();
    expect(await check.get("before-crash")).toBe("kept");
    check.disconnect();
  });
});
