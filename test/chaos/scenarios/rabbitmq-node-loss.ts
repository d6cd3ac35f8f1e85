/**
 * Node loss for RabbitMQ, which has no primary: a 3-node cluster (TLS required, as the built-in
 * template has it) on the three-node local cluster, confirmed publishes to a quorum queue and a
 * consumer through the client Service, and one broker's node stopped or isolated until the node
 * controller marks it lost, then started or restored. Checked per run: confirms resume (the
 * queue's Raft group elects a leader among the two that remain, clients reconnect through the
 * Service), the cluster says in words which pod is on a lost node, and it is whole and Ready
 * again after the node returns; at the end every confirmed message was consumed. Recovery:
 * fault -> the next confirmed publish.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { databaseCluster, type DatabaseCluster } from "../../../shared/api/index.js";
import { RESOURCES, type KubeObject } from "../../../shared/k8s/client.js";
import { readSecret } from "../../../shared/secrets.js";
import { databaseClusterObject } from "../../e2e/cluster-fixtures.js";
import { SteadyTraffic } from "../../fixtures/rabbitmq.js";
import { percentile } from "../report.js";
import { OperatorProcess, type ChaosWorld } from "../world.js";
import { waitUntil, type Scenario } from "./scenario.js";

const NAME = "mq";

async function readCluster(world: ChaosWorld, namespace: string): Promise<DatabaseCluster | undefined> {
  const raw = await world.client.get(RESOURCES.DatabaseCluster, namespace, NAME);
  return raw ? databaseCluster.parse(raw) : undefined;
}

async function whole(world: ChaosWorld, namespace: string, timeoutMs: number): Promise<boolean> {
  return Boolean(
    await waitUntil(async () => {
      const cluster = await readCluster(world, namespace);
      const status = cluster?.status;
      const pending = status?.conditions?.some((condition) => ["RollingUpdate", "Scaling", "NetworkPartition"].includes(condition.type) && condition.status === "True");
      return status?.phase === "Ready" && status.readyReplicas === 3 && !pending ? true : undefined;
    }, timeoutMs, 1_000),
  );
}

export function rabbitmqNodeLoss(fault: "stop" | "isolate"): Scenario {
  const back = fault === "stop" ? "start" : "restore";
  return {
    name: `rabbitmq-node-${fault}`,
    description: `rabbitmq, 3 nodes on 3 local nodes (network storage, TLS required), confirmed publishes to a quorum queue: a broker's node ${fault === "stop" ? "stopped (a crashed machine)" : "isolated (processes alive)"} until the node controller marks it lost, then ${fault === "stop" ? "started" : "restored"}. Recovery: fault -> the next confirmed publish.`,
    runs: 2,
    async run(world, recorder, runs) {
      const result = recorder.result;
      const namespace = `chaos-rabbitmq-node-${Date.now().toString(36)}`;
      await world.client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
      const operator = new OperatorProcess(world, namespace, { name: "rabbitmq" });
      let traffic: SteadyTraffic | undefined;
      const marked: number[] = [];
      const degradedAfter: number[] = [];
      try {
        await world.client.apply(databaseClusterObject(namespace, NAME, { engine: "rabbitmq", version: "3.10", replicas: 3, storage: { size: "1Gi" }, tls: { enabled: true, required: true } }));
        if (!(await whole(world, namespace, 300_000))) throw new Error("the RabbitMQ cluster was not Ready within 300 s");
        const secret = await readSecret(world.client, namespace, `${NAME}-conn`);
        if (!secret?.uri) throw new Error("the connection Secret has no uri");
        traffic = new SteadyTraffic(() => `${secret.uri}?heartbeat=5`, "chaos", { ca: secret["ca.crt"] });
        await traffic.declare();
        traffic.start();
        for (let run = 1; run <= runs; run++) {
          if (!(await whole(world, namespace, 240_000))) recorder.fail(run, "the cluster was not whole before the fault", operator.tail());
          await sleep(2_000);
          const victim = `${NAME}-${(run - 1) % 3}`;
          const pod = await world.client.get<KubeObject & { spec?: { nodeName?: string } }>(RESOURCES.Pod, namespace, victim);
          const node = pod?.spec?.nodeName;
          if (!node) throw new Error(`${victim} has no node`);
          const confirmedBefore = traffic.stats().confirmed;
          await world.runtime.setNode({ node, state: fault });
          const faultAt = Date.now();
          result.runs++;
          try {
            // Both watched from the fault on, side by side: one must not delay the other's reading.
            // Publishes confirmed in the moment of the fault may still be counted: wait for a clear step forward.
            const [resumed, words] = await Promise.all([
              waitUntil(async () => (traffic!.stats().confirmed > confirmedBefore + 20 ? Date.now() : undefined), 120_000, 100),
              waitUntil(async () => {
                const degraded = (await readCluster(world, namespace))?.status?.conditions?.find((condition) => condition.type === "Degraded");
                return degraded?.status === "True" && degraded.message.includes(`${victim} is on node ${node}, which is lost`) ? Date.now() : undefined;
              }, 90_000, 500),
            ]);
            if (resumed === undefined) recorder.fail(run, `no confirmed publish within 120 s of the ${fault} of ${node} (${victim})`, operator.tail());
            else result.recoverySeconds.push((resumed - faultAt) / 1000);
            if (words === undefined) recorder.fail(run, `no Degraded condition naming ${victim} on the lost node ${node} within 90 s`, [JSON.stringify((await readCluster(world, namespace))?.status?.conditions ?? [])]);
            else {
              degradedAfter.push((words - faultAt) / 1000);
              const lostNode = await world.client.get<KubeObject & { status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } }>(RESOURCES.Node, undefined, node);
              const readyChange = lostNode?.status?.conditions?.find((condition) => condition.type === "Ready");
              if (readyChange?.status !== "True" && readyChange?.lastTransitionTime) marked.push((Date.parse(readyChange.lastTransitionTime) - faultAt) / 1000);
            }
          } finally {
            await world.runtime.setNode({ node, state: back });
          }
          const ok = await whole(world, namespace, 300_000);
          world.log(`${result.name} run ${run}: ${fault} ${node} (${victim}); confirms resumed after ${result.recoverySeconds.at(-1)?.toFixed(1) ?? "never"} s; ${ok ? "whole again" : "NOT whole"} after ${((Date.now() - faultAt) / 1000).toFixed(0)} s`);
          if (!ok) recorder.fail(run, `not whole and Ready within 300 s of the ${back} of ${node}`, [JSON.stringify((await readCluster(world, namespace))?.status ?? {}).slice(0, 2500), ...operator.tail()]);
        }
      } finally {
        if (traffic) {
          const stats = await traffic.finish();
          result.acknowledgedWrites = stats.confirmed;
          result.lostWrites = stats.missing;
          result.notes["published / confirmed / consumed / duplicates"] = `${stats.published} / ${stats.confirmed} / ${stats.consumed} / ${stats.duplicates}`;
          result.notes["client reconnects (publisher / consumer)"] = `${stats.publisherReconnects} / ${stats.consumerReconnects}`;
          if (stats.missing > 0) recorder.fail(0, `${stats.missing} confirmed messages never consumed`, stats.errors.slice(0, 10));
        }
        result.notes["node marked lost (s after the fault), p50"] = percentile(marked, 50)?.toFixed(1) ?? "n/a";
        result.notes["Degraded naming the pod on the lost node (s after the fault)"] = degradedAfter.map((seconds) => seconds.toFixed(1)).join(", ") || "never";
        await operator.kill();
        await world.client.delete(RESOURCES.Namespace, undefined, namespace).catch(() => undefined);
      }
    },
  };
}
