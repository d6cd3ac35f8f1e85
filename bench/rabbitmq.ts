/**
 * RabbitMQ on the local cluster: a 3-node DatabaseCluster (real rabbitmq-server per pod).
 * - Publish and consume throughput on a quorum queue through the client Service (the local
 *   runtime's user-space proxy) against a direct connection to a pod, so the difference is the
 *   path's overhead. Publisher confirms, persistent messages, a window of in-flight messages;
 *   the consumer acknowledges in batches. Two rounds each, the better one reported.
 * - The duration of a rolling restart of the 3 nodes (a config change), from the spec change
 *   until every node runs the new template and the cluster is Ready again.
 * Numbers, not pass/fail. STEWARD_BENCH_RABBITMQ_MESSAGES sets the messages per run (20000).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "amqplib";
import { startLocalCluster } from "../local/cluster.js";
import { repositoryRoot } from "../local/repository.js";
import { createOperator } from "../operators/operator.js";
import { RabbitmqEngine } from "../operators/rabbitmq/engine.js";
import { rabbitmqNames } from "../operators/rabbitmq/names.js";
import { databaseCluster, type DatabaseCluster } from "../shared/api/index.js";
import { committedCrds } from "../shared/api/generate-crds.js";
import { getCondition } from "../shared/conditions.js";
import { KubeClient, RESOURCES, type KubeObject } from "../shared/k8s/client.js";
import { readSecret } from "../shared/secrets.js";

const round = (value: number) => Math.round(value * 100) / 100;

async function readCluster(client: KubeClient, namespace: string, name: string): Promise<DatabaseCluster> {
  return databaseCluster.parse(await client.get<KubeObject>(RESOURCES.DatabaseCluster, namespace, name));
}

async function waitReady(client: KubeClient, namespace: string, name: string, replicas: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cluster = await readCluster(client, namespace, name).catch(() => undefined);
    const status = cluster?.status;
    const changing = ["RollingUpdate", "Scaling"].some((type) => getCondition(status?.conditions, type)?.status === "True");
    if (status?.phase === "Ready" && status.readyReplicas === replicas && status.observedGeneration === cluster?.metadata.generation && !changing) return;
    if (Date.now() > deadline) throw new Error(`the cluster was not Ready within ${timeoutMs} ms (phase ${status?.phase})`);
    await sleep(250);
  }
}

interface Throughput {
  publishPerSecond: number;
  consumePerSecond: number;
}

/** Publishes `count` persistent messages with confirms (window `window`), then consumes them all. `ca`: the Secret's, for an amqps:// URI. */
async function measure(uri: string, queue: string, count: number, ca?: string, window = 500, size = 512): Promise<Throughput> {
  const connection = await connect(uri, ca ? { ca: [ca] } : {});
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { "x-queue-type": "quorum" } });
    await channel.purgeQueue(queue);
    const body = Buffer.alloc(size, 120);
    let started = performance.now();
    for (let sent = 0; sent < count; ) {
      const batch = Math.min(window, count - sent);
      for (let i = 0; i < batch; i++) channel.sendToQueue(queue, body, { persistent: true });
      sent += batch;
      await channel.waitForConfirms();
    }
    const publishSeconds = (performance.now() - started) / 1000;
    const consumer = await connection.createChannel();
    await consumer.prefetch(window);
    let received = 0;
    started = performance.now();
    await new Promise<void>((resolve, reject) => {
      consumer.on("error", reject);
      void consumer.consume(queue, (message) => {
        if (!message) return;
        received++;
        if (received % 100 === 0 || received === count) consumer.ack(message, true);
        if (received === count) resolve();
      });
    });
    const consumeSeconds = (performance.now() - started) / 1000;
    await channel.deleteQueue(queue);
    return { publishPerSecond: Math.round(count / publishSeconds), consumePerSecond: Math.round(count / consumeSeconds) };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

export async function benchRabbitmq(): Promise<Record<string, number | string>> {
  const results: Record<string, number | string> = {};
  const report = (key: string, value: number | string, note = "") => {
    results[`rabbitmq.${key}`] = value;
    console.log(`${key}: ${value}${note}`);
  };
  const messages = Number(process.env.STEWARD_BENCH_RABBITMQ_MESSAGES ?? 20_000);
  const stateDir = mkdtempSync(join(tmpdir(), "steward-bench-rabbitmq-"));
  const cluster = await startLocalCluster({ stateDir, withS3: false });
  const namespace = "bench-rabbitmq";
  const name = "mq";
  const client = KubeClient.fromKubeconfig(cluster.kubeconfig);
  try {
    // crds/ applied as they are (the local installer drops their x-kubernetes-* extensions).
    for (const crd of committedCrds()) await client.apply(crd as KubeObject);
    for (const deadline = Date.now() + 30_000; ; await sleep(250)) {
      if (await client.list(RESOURCES.DatabaseCluster, "default").then(() => true, () => false)) break;
      if (Date.now() > deadline) throw new Error("the DatabaseCluster CRD is not served");
    }
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    const operator = createOperator({
      client,
      namespace,
      leaderElection: false,
      leaseNamespace: namespace,
      leaseName: "steward",
      handleSignals: false,
      engines: { rabbitmq: new RabbitmqEngine({ agentImage: "steward:local", agentCommand: [process.execPath, join(repositoryRoot(), "dist", "operators", "rabbitmq", "agent", "main.js")] }) },
    });
    await operator.start();
    await sleep(1000);
    let t = performance.now();
    await client.create({
      apiVersion: "steward.dev/v1alpha1",
      kind: "DatabaseCluster",
      metadata: { name, namespace },
      spec: { engine: "rabbitmq", version: "3.10", replicas: 3, storage: { size: "1Gi" }, resources: { limits: { cpu: "1", memory: "1Gi" } } },
    });
    await waitReady(client, namespace, name, 3, 300_000);
    report("provision_3_nodes_s", round((performance.now() - t) / 1000), " s (DatabaseCluster created -> Ready)");

    const secret = await readSecret(client, namespace, `${name}-conn`);
    if (!secret?.uri) throw new Error("no connection Secret");
    const names = rabbitmqNames({ metadata: { name, namespace } });
    const viaService = secret.uri;
    const direct = secret.uri.replace(`@${names.clientHost}:`, `@${names.podHost(names.pod(0))}:`);
    const best = { service: { publishPerSecond: 0, consumePerSecond: 0 }, direct: { publishPerSecond: 0, consumePerSecond: 0 } };
    for (let round = 1; round <= 2; round++) {
      for (const [path, uri] of [["service", viaService], ["direct", direct]] as const) {
        const result = await measure(uri, `bench-${path}-${round}`, messages, secret["ca.crt"]);
        console.log(`round ${round} ${path}: publish ${result.publishPerSecond} msg/s, consume ${result.consumePerSecond} msg/s`);
        best[path].publishPerSecond = Math.max(best[path].publishPerSecond, result.publishPerSecond);
        best[path].consumePerSecond = Math.max(best[path].consumePerSecond, result.consumePerSecond);
      }
    }
    report("publish_msgs_per_s_service", best.service.publishPerSecond, ` msg/s (${messages} x 512 B, confirms, quorum queue, through the client Service)`);
    report("publish_msgs_per_s_direct", best.direct.publishPerSecond, ` msg/s (direct to ${names.pod(0)})`);
    report("consume_msgs_per_s_service", best.service.consumePerSecond, " msg/s (through the client Service)");
    report("consume_msgs_per_s_direct", best.direct.consumePerSecond, ` msg/s (direct to ${names.pod(0)})`);
    report("publish_service_vs_direct", round(best.service.publishPerSecond / best.direct.publishPerSecond), " (ratio)");
    report("consume_service_vs_direct", round(best.service.consumePerSecond / best.direct.consumePerSecond), " (ratio)");

    t = performance.now();
    await client.mergePatch(RESOURCES.DatabaseCluster, namespace, name, { spec: { config: { channel_max: "1024" } } });
    for (const deadline = Date.now() + 60_000; getCondition((await readCluster(client, namespace, name)).status?.conditions, "RollingUpdate")?.status !== "True"; await sleep(100)) {
      if (Date.now() > deadline) throw new Error("the rolling update did not start");
    }
    await waitReady(client, namespace, name, 3, 600_000);
    report("rolling_restart_3_nodes_s", round((performance.now() - t) / 1000), " s (config change -> every node restarted one at a time, cluster Ready)");
    await operator.stop();
  } finally {
    await client.close();
    await cluster.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return results;
}

if (process.argv[1]?.endsWith("bench/rabbitmq.js") || process.argv[1]?.endsWith("bench/rabbitmq.ts")) {
  const results = await benchRabbitmq();
  console.log(JSON.stringify(results));
  process.exit(0);
}
