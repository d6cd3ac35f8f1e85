import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../local/processes.js";
import { RESOURCES, type KubeClient } from "../../shared/k8s/client.js";
import { microTime } from "../../shared/k8s/time.js";
import { LeaderElector } from "../../shared/runtime/leader-election.js";
import { Manager } from "../../shared/runtime/manager.js";
import { TcpRelay, clientFor, clientThrough, serverOf, useTestNamespace, waitFor } from "./runtime-fixtures.js";

const LEASE_MS = 3000;
const RENEW_DEADLINE_MS = 2000;
const RETRY_MS = 500;
/** Informer sync, scheduling on a busy 2-core machine, the acquire jitter. */
const TOLERANCE_MS = 1500;

const env = useTestNamespace("runtime-leader");
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await env.client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ticker", namespace: env.namespace }, data: {} });
});

// Registered after the namespace's hooks, so it runs before the namespace goes.
afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface Invocation {
  identity: string;
  startedAt: number;
  endedAt?: number;
  aborted?: boolean;
}

/**
 * A manager whose one controller reconciles the "ticker" ConfigMap every 100 ms for 100 ms,
 * so that whoever leads is always reconciling and every invocation is on the record.
 */
function candidate(identity: string, lease: string, record: Invocation[], options: { through?: KubeClient; metricsPort?: number } = {}): Manager {
  const own = options.through ?? clientFor(inject("kubeconfig"));
  const manager = new Manager({
    client: own,
    leaderElection: { namespace: env.namespace, name: lease, identity, leaseDurationMs: LEASE_MS, renewDeadlineMs: RENEW_DEADLINE_MS, retryPeriodMs: RETRY_MS },
    metricsPort: options.metricsPort,
    gracefulShutdownMs: 5000,
  });
  manager.add({
    name: "ticker",
    for: RESOURCES.ConfigMap,
    namespace: env.namespace,
    async reconcile(request, context) {
      if (request.name !== "ticker") return;
      const invocation: Invocation = { identity, startedAt: Date.now() };
      record.push(invocation);
      await sleep(100, undefined, { signal: context.signal }).catch(() => (invocation.aborted = true));
      invocation.endedAt = Date.now();
      return { requeueAfterMs: 100 };
    },
  });
  cleanups.push(async () => {
    await manager.stop();
    if (!options.through) await own.close();
  });
  return manager;
}

/** Invocations by different managers never overlap in time. */
function expectNoOverlap(record: Invocation[]): void {
  const sorted = [...record].sort((a, b) => a.startedAt - b.startedAt);
  for (const [index, invocation] of sorted.entries()) {
    for (const earlier of sorted.slice(0, index)) {
      if (earlier.identity === invocation.identity) continue;
      expect(earlier.endedAt, `${earlier.identity} still reconciling when ${invocation.identity} started`).toBeDefined();
      expect(invocation.startedAt, `${invocation.identity} started before ${earlier.identity} ended`).toBeGreaterThanOrEqual(earlier.endedAt!);
    }
  }
}

const firstBy = (record: Invocation[], identity: string) => record.find((invocation) => invocation.identity === identity);
const holderOf = async (lease: string) => (await env.client.get(RESOURCES.Lease, env.namespace, lease))?.spec as { holderIdentity?: string } | undefined;

async function leaderAndStandby(lease: string, record: Invocation[]): Promise<[Manager, Manager]> {
  const first = candidate("first", lease, record);
  await first.start();
  await waitFor("first to lead and reconcile", async () => first.isLeader() && firstBy(record, "first") !== undefined, 10_000, 20);
  const second = candidate("second", lease, record);
  await second.start();
  // Long enough for the standby to have read the lease several times.
  await sleep(4 * RETRY_MS);
  expect(second.isLeader()).toBe(false);
  expect(firstBy(record, "second")).toBeUndefined();
  return [first, second];
}

describe("Manager with leader election", () => {
  it("lets one manager reconcile at a time; a clean stop releases the lease and the standby takes over at once", async () => {
    const record: Invocation[] = [];
    const [first, second] = await leaderAndStandby("clean-stop", record);
    const stoppedAt = Date.now();
    await first.stop();
    expect(first.isLeader()).toBe(false);
    await waitFor("second to take over", async () => firstBy(record, "second") !== undefined, 10_000, 10);
    const takeoverMs = firstBy(record, "second")!.startedAt - stoppedAt;
    // Released: no waiting for expiry, only for the standby's next try.
    expect(takeoverMs).toBeLessThan(RETRY_MS * 1.2 + TOLERANCE_MS);
    expect(second.isLeader()).toBe(true);
    expect((await holderOf("clean-stop"))?.holderIdentity).toBe("second");
    expectNoOverlap(record);
  });

  it("releases its lease on stop even when a renew it never saw answered landed first (a conflict on release)", async () => {
    const client = clientFor(inject("kubeconfig"));
    const elector = new LeaderElector(client, { namespace: env.namespace, name: "late-renew", identity: "solo", leaseDurationMs: LEASE_MS, renewDeadlineMs: RENEW_DEADLINE_MS, retryPeriodMs: RETRY_MS });
    try {
      const running = elector.run({ onStartedLeading: () => undefined, onStoppedLeading: () => undefined });
      await waitFor("solo to lead", async () => elector.isLeader(), 10_000, 20);
      // What a renew cut short by stop() leaves: the server holds a newer version of our own
      // lease than the elector saw.
      const lease = (await env.client.get(RESOURCES.Lease, env.namespace, "late-renew"))!;
      await env.client.replace({ ...lease, spec: { ...(lease.spec as object), renewTime: microTime(new Date()) } });
      await elector.stop();
      await running;
      expect((await holderOf("late-renew"))?.holderIdentity ?? "").toBe("");
    } finally {
      await client.close();
    }
  });

  it("takes over from a crashed leader only after the lease expired, and within leaseDuration + retryPeriod", async () => {
    const record: Invocation[] = [];
    const [first, second] = await leaderAndStandby("crash", record);
    const crashedAt = Date.now();
    await first.stop({ releaseLease: false });
    expect((await holderOf("crash"))?.holderIdentity).toBe("first");
    await waitFor("second to take over", async () => firstBy(record, "second") !== undefined, 15_000, 10);
    const takeoverMs = firstBy(record, "second")!.startedAt - crashedAt;
    // Not before the lease could have expired (the last renew was at most one retryPeriod before the crash)...
    expect(takeoverMs).toBeGreaterThanOrEqual(LEASE_MS - RETRY_MS);
    // ...and not much later than it did: by then the standby has seen it unchanged for a lease duration.
    expect(takeoverMs).toBeLessThan(LEASE_MS + RETRY_MS + TOLERANCE_MS);
    expect(second.isLeader()).toBe(true);
    expectNoOverlap(record);
  });

  it("stops reconciling the moment a partitioned leader's renew deadline passes, and campaigns again after", async () => {
    const relay = new TcpRelay(serverOf(inject("kubeconfig")));
    const relayed = clientThrough(inject("kubeconfig"), await relay.start());
    cleanups.push(async () => {
      await relay.stop();
      await relayed.close();
    });
    const record: Invocation[] = [];
    const first = candidate("first", "partition", record, { through: relayed });
    await first.start();
    await waitFor("first to lead and reconcile", async () => first.isLeader() && firstBy(record, "first") !== undefined, 10_000, 20);
    const second = candidate("second", "partition", record);
    await second.start();
    await sleep(4 * RETRY_MS);

    // Cut the leader off the API server for longer than the lease.
    const cutAt = Date.now();
    relay.cut(LEASE_MS + 2 * RETRY_MS);
    await waitFor("first to step down", async () => !first.isLeader(), 10_000, 10);
    const stepDownMs = Date.now() - cutAt;
    expect(stepDownMs).toBeLessThanOrEqual(RENEW_DEADLINE_MS + 200);
    const lastByFirst = record.filter((invocation) => invocation.identity === "first").at(-1)!;
    await waitFor("second to take over", async () => firstBy(record, "second") !== undefined, 15_000, 10);
    expect(lastByFirst.endedAt).toBeDefined();
    expect(record.filter((invocation) => invocation.identity === "first").at(-1)).toBe(lastByFirst);
    expectNoOverlap(record);

    // Once the network is back the old leader stands by.
    await sleep(LEASE_MS);
    expect(first.isLeader()).toBe(false);
    expect(second.isLeader()).toBe(true);
    expect(first.isReady()).toBe(true);
  });

  it("serves metrics and health for the leader and the standby", async () => {
    const record: Invocation[] = [];
    const [leaderPort, standbyPort] = [await freePort(), await freePort()];
    const leader = candidate("leader", "metrics", record, { metricsPort: leaderPort });
    await leader.start();
    await waitFor("the leader to reconcile", async () => firstBy(record, "leader") !== undefined, 10_000, 20);
    const standby = candidate("standby", "metrics", record, { metricsPort: standbyPort });
    await standby.start();
    await sleep(2 * RETRY_MS);

    const get = async (port: number, path: string) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: response.status, body: await response.text() };
    };
    const leaderMetrics = (await get(leaderPort, "/metrics")).body;
    expect(leaderMetrics).toContain('leader_election_master_status{name="metrics"} 1');
    expect(leaderMetrics).toMatch(/controller_runtime_reconcile_total\{controller="ticker",result="requeue_after"\} [1-9]/);
    expect(leaderMetrics).toContain('workqueue_adds_total{name="ticker"}');
    expect(leaderMetrics).toContain("controller_runtime_reconcile_time_seconds_bucket");
    expect((await get(standbyPort, "/metrics")).body).toContain('leader_election_master_status{name="metrics"} 0');
    for (const port of [leaderPort, standbyPort]) {
      expect((await get(port, "/healthz")).status).toBe(200);
      expect((await get(port, "/readyz")).status).toBe(200);
    }
  });
});
