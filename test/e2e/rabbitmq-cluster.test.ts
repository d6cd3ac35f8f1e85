/**
 * RabbitMQ end to end on the local cluster (real rabbitmq-server in every pod), one cluster for
 * the whole runbook, the operator running in this process for the file's namespace:
 * - one DatabaseCluster gives a Ready 3-node cluster, one pod per node of the three-node local
 *   cluster, serving TLS only (spec.tls.required); a client using only the connection Secret
 *   (amqps:// and ca.crt, verifying the server) publishes to a quorum queue through the client
 *   Service and consumes every message; every test below runs over TLS;
 * - the nodes list only TLS listeners (rabbitmq-diagnostics listeners): a plaintext client is
 *   refused, and so is a client that does not trust the cluster's CA;
 * - a forced certificate rotation (steward.dev/rotate-tls) under confirmed publishes: every node
 *   presents the new certificate without a restart, and no confirmed message is lost;
 * - under a steady publisher with confirms and a consumer, a rolling config change completes
 *   and every confirmed message is consumed (at least once); the same when one pod's RabbitMQ
 *   process is killed mid-stream;
 * - 3 -> 5 grows the quorum queue onto the new nodes; 5 -> 3 is refused by the API server
 *   without spec.allowScaleDown and, with it, shrinks, removes and forgets two nodes without
 *   losing a confirmed message;
 * - every pod's processes killed at once: the cluster comes back as one by itself, messages kept;
 * - a node whose RabbitMQ app stops while its container runs (what pause_minority can leave
 *   behind) is restarted by the operator (RestartedStuckNode) and the cluster is whole again;
 * - cutting one pod's network is reported as a partition that heals when the link returns.
 * Definitions backup and restore are proven against real rabbitmq-server in
 * test/integration/rabbitmq-backup.test.ts; the DatabaseBackup/DatabaseRestore path waits for
 * the backup controllers.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect } from "amqplib";
import { ANNOTATIONS, databaseCluster, type DatabaseCluster } from "../../shared/api/index.js";
import { KubeClient, RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { readSecret } from "../../shared/secrets.js";
import { getCondition } from "../../shared/conditions.js";
import { createOperator } from "../../operators/operator.js";
import { RabbitmqEngine } from "../../operators/rabbitmq/engine.js";
import { ManagementClient } from "../../operators/rabbitmq/client.js";
import { ADMIN_USER, CREDENTIAL_KEYS, PORTS, rabbitmqNames } from "../../operators/rabbitmq/names.js";
import { presentedNotAfter } from "../../operators/rabbitmq/tls-reload.js";
import type { Manager } from "../../shared/runtime/manager.js";
import { SteadyTraffic, type TrafficStats } from "../fixtures/rabbitmq.js";
import { installCrds } from "../integration/runtime-fixtures.js";
import { podNodes } from "./cluster-fixtures.js";
import { restrictedNamespace, runtime, waitFor } from "./local-fixtures.js";

const NAME = "mq";
let client: KubeClient;
let namespace = "";
let removeNamespace: () => Promise<void> = async () => {};
let operator: Manager | undefined;
const names = () => rabbitmqNames({ metadata: { name: NAME, namespace } });
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;

async function readCluster(): Promise<DatabaseCluster> {
  const raw = await client.get<KubeObject>(RESOURCES.DatabaseCluster, namespace, NAME);
  return databaseCluster.parse(raw);
}

async function patchSpec(spec: Record<string, unknown>): Promise<void> {
  await client.mergePatch(RESOURCES.DatabaseCluster, namespace, NAME, { spec });
}

/** Until the cluster is Ready with `replicas` nodes and no change pending, as its status says. */
async function waitReady(replicas: number, what: string, timeoutMs = 240_000): Promise<DatabaseCluster> {
  let last = "";
  let printed = Date.now();
  await waitFor(
    what,
    async () => {
      const cluster = await readCluster();
      const status = cluster.status;
      const pending = ["RollingUpdate", "Scaling", "NetworkPartition"].filter((type) => getCondition(status?.conditions, type)?.status === "True");
      last = `${status?.phase} ${status?.readyReplicas}/${status?.replicas}${pending.length ? ` pending ${pending.join(",")}` : ""}: ${getCondition(status?.conditions, "Degraded")?.message ?? ""} ${getCondition(status?.conditions, "RollingUpdate")?.message ?? ""}`;
      if (Date.now() - printed > 20_000) {
        printed = Date.now();
        console.log(`[${elapsed()}] waiting for ${what}: ${last} | ${JSON.stringify(status?.instances?.map((i) => [i.name, i.replication, i.message]))}`);
      }
      return status?.phase === "Ready" && status.readyReplicas === replicas && status.observedGeneration === cluster.metadata.generation && pending.length === 0;
    },
    timeoutMs,
    1_000,
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; last status: ${last}`);
  });
  console.log(`[${elapsed()}] ${what}`);
  return readCluster();
}

async function connectionUri(): Promise<string> {
  const secret = await readSecret(client, namespace, `${NAME}-conn`);
  if (!secret?.uri) throw new Error("the connection Secret has no uri");
  // Short heartbeats, so a client notices a dead path in seconds rather than a minute.
  return `${secret.uri}?heartbeat=5`;
}

/** The management API over HTTPS (the only way with spec.tls.required), verified with the cluster's CA. */
async function management(): Promise<ManagementClient> {
  const credentials = await readSecret(client, namespace, names().credentials);
  return new ManagementClient(`https://${names().podHost(names().pod(0))}:${PORTS.managementTls}/api`, { username: ADMIN_USER, password: credentials![CREDENTIAL_KEYS.adminPassword]! }, { timeoutMs: 10_000, ca: clusterCa });
}

type PodObject = KubeObject & { status?: { containerStatuses?: { name: string; restartCount?: number }[] } };
/** Each broker pod's uid and its RabbitMQ container's restart count: a reload must change neither. */
async function brokerPods(): Promise<Record<string, string>> {
  const pods = await client.list<PodObject>(RESOURCES.Pod, namespace, { labelSelector: "steward.dev/component=broker" });
  return Object.fromEntries(pods.items.map((pod) => [pod.metadata.name, `${pod.metadata.uid}/${pod.status?.containerStatuses?.find((c) => c.name === "rabbitmq")?.restartCount ?? 0}`]));
}

function expectNoLoss(stats: TrafficStats, what: string): void {
  console.log(`[${elapsed()}] ${what}: ${JSON.stringify({ ...stats, errors: stats.errors.slice(0, 3) })}`);
  expect(stats.confirmed).toBeGreaterThan(0);
  expect(stats.missing, `${stats.missing} confirmed messages were never consumed`).toBe(0);
}

beforeAll(async () => {
  client = KubeClient.fromKubeconfig(inject("kubeconfig"));
  // The global setup's installer drops the x-kubernetes-* schema extensions, so the API server
  // refuses the DatabaseCluster CRD there; applying crds/ as they are (as the integration
  // tests do) installs it with its CEL rules.
  await installCrds(client);
  ({ namespace, remove: removeNamespace } = await restrictedNamespace("rabbitmq"));
  const engine = new RabbitmqEngine({
    agentImage: "steward:local",
    // cli/agent.ts does not list `rabbitmq-sidecar` yet: run the same sidecar through its own entry.
    agentCommand: [process.execPath, join(process.cwd(), "dist", "operators", "rabbitmq", "agent", "main.js")],
  });
  operator = createOperator({ client, namespace, leaderElection: false, leaseNamespace: namespace, leaseName: "steward", engines: { rabbitmq: engine } });
  await operator.start();
  await client.create({
    apiVersion: "steward.dev/v1alpha1",
    kind: "DatabaseCluster",
    metadata: { name: NAME, namespace },
    // TLS only: every test of this file then runs over AMQPS and HTTPS, at no extra cost.
    spec: { engine: "rabbitmq", version: "3.10", replicas: 3, storage: { size: "1Gi" }, resources: { limits: { cpu: "1", memory: "1Gi" } }, tls: { enabled: true, required: true } },
  });
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await removeNamespace();
  await client?.close();
});

describe("a RabbitMQ DatabaseCluster on the local cluster", () => {
  it("becomes Ready with 3 nodes; a client with only the connection Secret publishes to a quorum queue through the Service and consumes every message", async () => {
    const cluster = await waitReady(3, "3 nodes Ready", 300_000);
    // Three RabbitMQ nodes on three Kubernetes nodes (the StatefulSet's preferred anti-affinity).
    const placed = await podNodes(client, namespace, NAME);
    expect(new Set(Object.values(placed)).size, JSON.stringify(placed)).toBe(3);
    expect(cluster.status?.connectionSecret).toBe(`${NAME}-conn`);
    expect(cluster.status?.instances?.map((i) => [i.name, i.role, i.ready])).toEqual([0, 1, 2].map((i) => [`${NAME}-${i}`, "member", true]));
    const secret = await readSecret(client, namespace, `${NAME}-conn`);
    expect(secret?.host).toBe(`${NAME}.${namespace}.svc`);
    expect(secret?.uri).toMatch(new RegExp(`^amqps://app:[A-Za-z0-9]+@${NAME}\\.${namespace}\\.svc:5671/%2F$`));
    expect(secret?.["ca.crt"]).toContain("BEGIN CERTIFICATE");
    expect(getCondition(cluster.status?.conditions, "TLS")).toMatchObject({ status: "True", reason: "CertificateValid" });
    expect(cluster.status?.tls).toMatchObject({ secretName: `${NAME}-tls`, issuer: "operator-ca" });
    expect(cluster.status?.endpoints?.primary).toBe(`${NAME}.${namespace}.svc:5671`);

    // Only what the Secret holds: the URI, and its ca.crt to verify the server (amqplib checks the name too).
    const traffic = new SteadyTraffic(() => `${secret!.uri}?heartbeat=5`, "smoke", { batch: 50, intervalMs: 0, ca: secret!["ca.crt"] });
    await traffic.declare();
    traffic.start();
    await waitFor("500 confirmed", async () => traffic.stats().confirmed >= 500, 60_000, 100);
    const stats = await traffic.finish(60_000);
    expectNoLoss(stats, "smoke");
    const queue = (await (await management()).queues()).find((q) => q.name === "smoke");
    expect(queue?.type).toBe("quorum");
    expect(queue?.members).toHaveLength(3);
  });

  it("serves TLS only: the nodes list no plaintext listener, a plaintext client and a client without the cluster's CA are refused", async () => {
    const listed = await runtime().exec({ namespace, pod: `${NAME}-0`, container: "rabbitmq", command: ["rabbitmq-diagnostics", "-q", "listeners"], timeoutMs: 60_000 });
    expect(listed.exitCode, `${listed.stdout}${listed.stderr}`).toBe(0);
    const protocols = [...listed.stdout.matchAll(/port: (\d+), protocol: ([^,]+),/g)].map((match) => `${match[1]} ${match[2]}`);
    console.log(`[${elapsed()}] ${NAME}-0 listens on: ${protocols.join("; ")}`);
    expect(protocols).toEqual(expect.arrayContaining(["5671 amqp/ssl", "15671 https"]));
    expect(protocols.filter((entry) => /^(5672|15672) /.test(entry))).toEqual([]);

    const secret = (await readSecret(client, namespace, `${NAME}-conn`))!;
    const plaintext = secret.uri!.replace(/^amqps:/, "amqp:").replace(":5671/", ":5672/");
    const direct = (uri: string) => uri.replace(`@${NAME}.${namespace}.svc:`, `@${names().podHost(names().pod(0))}:`);
    for (const uri of [plaintext, direct(plaintext)]) await expect(connect(uri, { timeout: 5_000 })).rejects.toThrow(/ECONNREFUSED|ETIMEDOUT|timeout|closed/i);
    await expect(connect(secret.uri!, { timeout: 5_000 })).rejects.toThrow(/self[- ]signed|unable to (verify|get issuer)/i);
    // The same, with the CA: verified and accepted, directly on a node too (its name is in the certificate).
    const verified = await connect(direct(secret.uri!), { timeout: 5_000, ca: [secret["ca.crt"]!] });
    await verified.close();
  });

  it("rotates the certificate on request (steward.dev/rotate-tls) under confirmed publishes: every node presents the new one without a restart, no confirmed message lost", async () => {
    await waitReady(3, "3 nodes Ready before the rotation", 300_000);
    const before = (await readCluster()).status?.tls?.notAfter;
    const pods = await brokerPods();
    const traffic = new SteadyTraffic(connectionUriSync, "rotation", { ca: clusterCa });
    await traffic.declare();
    traffic.start();
    await waitFor("traffic flowing", async () => traffic.stats().confirmed >= 100, 60_000, 100);
    const askedAt = Date.now();
    await client.mergePatch(RESOURCES.DatabaseCluster, namespace, NAME, { metadata: { annotations: { [ANNOTATIONS.rotateTls]: String(askedAt) } } });
    let wanted = before;
    await waitFor("a new certificate in status.tls", async () => ((wanted = (await readCluster()).status?.tls?.notAfter) ?? before) !== before, 60_000, 500);
    const hosts = [0, 1, 2].map((i) => names().podHost(names().pod(i)));
    // What AMQP clients are shown, on every node.
    await waitFor(
      "every node presenting the new certificate on AMQPS",
      async () => (await Promise.all(hosts.map((host) => presentedNotAfter(host, PORTS.amqps)))).every((notAfter) => notAfter.toISOString() === new Date(wanted!).toISOString()),
      120_000,
      1_000,
    );
    console.log(`[${elapsed()}] every node presented the new certificate ${((Date.now() - askedAt) / 1000).toFixed(0)} s after the request`);
    const confirmed = traffic.stats().confirmed;
    await waitFor("more confirmed after the rotation", async () => traffic.stats().confirmed >= confirmed + 100, 60_000, 100);
    expectNoLoss(await traffic.finish(), "certificate rotation");
    expect(await brokerPods()).toEqual(pods);
    const events = await client.list<KubeObject & { reason?: string; note?: string; eventTime?: string }>(RESOURCES.Event, namespace);
    const since = events.items.filter((event) => Date.parse(String(event.eventTime)) >= askedAt - 1_000);
    expect(since.filter((event) => event.reason === "CertificateReloaded").map((event) => String(event.note).split(" ")[0]).sort()).toEqual([0, 1, 2].map((i) => `${NAME}-${i}`));
    expect(since.filter((event) => ["RollingRestart", "RestartedStuckNode"].includes(String(event.reason)))).toEqual([]);
  }, 300_000);

  it("rolls a config change one node at a time without losing a confirmed message", async () => {
    await waitReady(3, "3 nodes Ready before the config change", 300_000);
    const traffic = new SteadyTraffic(connectionUriSync, "rolling", { ca: clusterCa });
    await traffic.declare();
    traffic.start();
    await waitFor("traffic flowing", async () => traffic.stats().confirmed >= 100, 60_000, 100);
    const before = (await client.list<KubeObject>(RESOURCES.Pod, namespace, { labelSelector: "steward.dev/component=broker" })).items.map((pod) => pod.metadata.uid);
    await patchSpec({ config: { channel_max: "1024" } });
    await waitFor("the rolling update to start", async () => getCondition((await readCluster()).status?.conditions, "RollingUpdate")?.status === "True", 60_000, 500);
    await waitReady(3, "rolling config change done", 240_000);
    const after = (await client.list<KubeObject>(RESOURCES.Pod, namespace, { labelSelector: "steward.dev/component=broker" })).items.map((pod) => pod.metadata.uid);
    expect(after.filter((uid) => before.includes(uid))).toEqual([]);
    expectNoLoss(await traffic.finish(), "rolling config change");
    const events = await client.list<KubeObject & { reason?: string; note?: string; eventTime?: string }>(RESOURCES.Event, namespace);
    const restarts = events.items
      .filter((event) => event.reason === "RollingRestart")
      .sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)))
      .map((event) => String(event.note).split(" ")[1]);
    expect(restarts.slice(0, 3)).toEqual([`${NAME}-2`, `${NAME}-1`, `${NAME}-0`]);
  }, 420_000);

  it("loses no confirmed message when one pod's RabbitMQ process is killed mid-stream", async () => {
    await waitReady(3, "3 nodes Ready before the kill", 300_000);
    const traffic = new SteadyTraffic(connectionUriSync, "killed", { ca: clusterCa });
    await traffic.declare();
    traffic.start();
    await waitFor("traffic flowing", async () => traffic.stats().confirmed >= 100, 60_000, 100);
    // The node that leads the queue: its death forces an election while confirms are pending.
    const leader = (await (await management()).queues()).find((q) => q.name === "killed")?.leader ?? names().node(names().pod(1));
    const victim = leader.slice("rabbit@".length).split(".")[0]!;
    const restarts = async () => (await client.get<KubeObject & { status?: { containerStatuses?: { name: string; restartCount?: number }[] } }>(RESOURCES.Pod, namespace, victim))?.status?.containerStatuses?.find((c) => c.name === "rabbitmq")?.restartCount ?? 0;
    const before = await restarts();
    console.log(`[${elapsed()}] killing the RabbitMQ process of ${victim}, the queue's leader`);
    await runtime().crashContainer({ namespace, pod: victim, container: "rabbitmq" });
    await waitFor("the killed container restarted", async () => (await restarts()) > before, 60_000, 500);
    await waitFor("more confirmed after the kill", async () => traffic.stats().confirmed >= 400, 120_000, 200);
    await waitReady(3, "back to 3 nodes after the kill");
    expectNoLoss(await traffic.finish(), "process killed");
  });

  it("scales out to 5 and grows the quorum queues onto the new nodes", async () => {
    await patchSpec({ replicas: 5 });
    await waitReady(5, "5 nodes Ready", 300_000);
    const mgmt = await management();
    await waitFor("quorum queues on 5 nodes", async () => (await mgmt.queues()).filter((q) => q.type === "quorum").every((q) => q.members?.length === 5), 120_000, 1_000);
    expect((await mgmt.nodes()).filter((n) => n.running)).toHaveLength(5);
  });

  it("refuses 5 -> 3 without spec.allowScaleDown, saying how to confirm", async () => {
    await expect(patchSpec({ replicas: 3 })).rejects.toThrow(/allowScaleDown/);
  });

  it("scales in to 3 with spec.allowScaleDown without losing a confirmed message", async () => {
    const traffic = new SteadyTraffic(connectionUriSync, "scale-in", { ca: clusterCa });
    await traffic.declare();
    traffic.start();
    await waitFor("traffic flowing", async () => traffic.stats().confirmed >= 100, 60_000, 100);
    await patchSpec({ replicas: 3, allowScaleDown: true });
    await waitReady(3, "scaled in to 3", 300_000);
    await waitFor("the removed nodes' volumes deleted", async () => (await client.list<KubeObject>(RESOURCES.PersistentVolumeClaim, namespace)).items.length === 3, 60_000, 1_000);
    const mgmt = await management();
    expect((await mgmt.nodes()).map((n) => n.name).sort()).toEqual([0, 1, 2].map((i) => names().node(names().pod(i))));
    expect((await mgmt.queues()).filter((q) => q.type === "quorum").every((q) => q.members?.length === 3)).toBe(true);
    expectNoLoss(await traffic.finish(), "scale-in 5 -> 3");
  });

  it("comes back as one cluster by itself when every pod's processes die at once, with its messages", async () => {
    await waitReady(3, "3 nodes Ready before the whole-cluster kill", 300_000);
    const traffic = new SteadyTraffic(connectionUriSync, "whole-cluster", { ca: clusterCa });
    await traffic.declare();
    traffic.start();
    await waitFor("traffic flowing", async () => traffic.stats().confirmed >= 200, 60_000, 100);
    traffic.stopPublishing();
    await Promise.all([0, 1, 2].map((i) => runtime().killPod({ namespace, pod: `${NAME}-${i}` })));
    console.log(`[${elapsed()}] killed every pod's processes`);
    await waitFor("the cluster to notice", async () => (await readCluster()).status?.phase !== "Ready", 60_000, 250);
    await waitReady(3, "whole cluster back", 300_000);
    const mgmt = await management();
    expect((await mgmt.nodes()).filter((n) => n.running)).toHaveLength(3);
    expectNoLoss(await traffic.finish(), "whole-cluster kill");
  });

  it("restarts a node that stays stopped while its container runs (RestartedStuckNode), which makes the cluster whole again", async () => {
    await waitReady(3, "3 nodes Ready before stopping a node's app", 300_000);
    const victim = `${NAME}-2`;
    // `rabbitmqctl stop_app` leaves the Erlang VM (the container) running with RabbitMQ stopped and
    // its listeners closed: the state pause_minority leaves a node in, and the one the operator
    // must heal by itself. Nothing here restarts it.
    const stopped = await runtime().exec({ namespace, pod: victim, container: "rabbitmq", command: ["rabbitmqctl", "stop_app"], timeoutMs: 60_000 });
    expect(stopped.exitCode, `${stopped.stdout}${stopped.stderr}`).toBe(0);
    const stoppedAt = Date.now();
    await waitFor(
      "the operator's RestartedStuckNode event",
      async () => (await client.list<KubeObject & { reason?: string; note?: string }>(RESOURCES.Event, namespace)).items.some((event) => event.reason === "RestartedStuckNode" && String(event.note).includes(victim)),
      180_000,
      1_000,
    );
    console.log(`[${elapsed()}] the operator restarted ${victim} ${((Date.now() - stoppedAt) / 1000).toFixed(0)} s after its app stopped`);
    await waitReady(3, "whole again after the operator's restart", 240_000);
    const mgmt = await management();
    expect((await mgmt.nodes()).filter((n) => n.running).map((n) => n.name)).toContain(names().node(victim));
  }, 480_000);

  it("reports a partition when one pod's network is cut, which heals when it returns", async () => {
    await waitReady(3, "3 nodes Ready before the cut", 300_000);
    const cutAt = Date.now();
    await runtime().setNetwork({ namespace, pod: `${NAME}-2`, state: "cut" });
    try {
      await waitFor(
        "the NetworkPartition condition",
        async () => {
          const condition = getCondition((await readCluster()).status?.conditions, "NetworkPartition");
          return condition?.status === "True" && condition.message.includes(`${NAME}-2`);
        },
        240_000,
        1_000,
      );
      console.log(`[${elapsed()}] partition reported ${((Date.now() - cutAt) / 1000).toFixed(0)} s after the cut: ${getCondition((await readCluster()).status?.conditions, "NetworkPartition")?.message}`);
    } finally {
      await runtime().setNetwork({ namespace, pod: `${NAME}-2`, state: "restore" });
    }
    const restoredAt = Date.now();
    await waitReady(3, "partition healed", 240_000);
    console.log(`[${elapsed()}] Ready again ${((Date.now() - restoredAt) / 1000).toFixed(0)} s after the network returned`);
    const events = await client.list<KubeObject & { reason?: string; note?: string; eventTime?: string }>(RESOURCES.Event, namespace);
    // Only this cut's restarts (the test before provokes one on purpose).
    const restarted = events.items.filter((event) => event.reason === "RestartedStuckNode" && Date.parse(String(event.eventTime)) >= cutAt).map((event) => event.note);
    console.log(`[${elapsed()}] ${restarted.length > 0 ? `healed after the operator restarted the paused node: ${restarted.join("; ")}` : "healed by pause_minority alone"}`);
  }, 480_000);
});

// The traffic helper asks for the URI on each reconnect; the Secret does not change, so it is read
// once, with the CA (a rotation renews the server certificate, not the CA).
let cachedUri = "";
let clusterCa = "";
function connectionUriSync(): string {
  if (!cachedUri) throw new Error("connection URI not read yet");
  return cachedUri;
}
beforeAll(async () => {
  await waitFor("the connection Secret", async () => Boolean((await readSecret(client, namespace, `${NAME}-conn`))?.uri), 120_000, 500);
  cachedUri = await connectionUri();
  clusterCa = (await readSecret(client, namespace, `${NAME}-conn`))?.["ca.crt"] ?? "";
}, 180_000);
