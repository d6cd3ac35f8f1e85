/**
 * Node loss on the three-node local cluster: the primary's node stopped (every process of its
 * pods killed, heartbeats gone: a crashed machine) or isolated (its pods' links and heartbeats
 * cut, processes alive: a partitioned machine) under acknowledged writes, then started or
 * restored. The cluster's volumes are network storage (the default StorageClass, any node can
 * attach them) or node-local (`steward-node-local`: a pod can only run where its disk is), and
 * `failover.nodeLoss` is left at `wait`: the pod stays on the lost node until it returns.
 * Checked: writes resume through the primary Service on a replica of a live node, 0
 * acknowledged writes lost, never two pods accepting writes, and the old primary back as a
 * replica. Recovery: fault -> first acknowledged write. Notes: when the node controller marked
 * the node lost (its grace period), which is what the Degraded message waits for.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { RESOURCES, type KubeObject } from "../../../shared/k8s/client.js";
import { percentile } from "../report.js";
import type { ChaosEngine } from "../engines.js";
import { startDoublePrimarySampler } from "../sampler.js";
import { provisionCluster, type ChaosWorld } from "../world.js";
import { currentPrimary, evidence, instanceRole, settle, waitUntil, type Scenario } from "./scenario.js";

type NodeObject = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };

/** Seconds until the node controller says the node's Ready is no longer True. */
async function nodeMarkedLost(world: ChaosWorld, node: string, since: number): Promise<number | undefined> {
  const marked = await waitUntil(async () => {
    const current = await world.client.get<NodeObject>(RESOURCES.Node, undefined, node);
    return current?.status?.conditions?.find((condition) => condition.type === "Ready")?.status !== "True" ? Date.now() : undefined;
  }, 90_000, 500);
  return marked === undefined ? undefined : (marked - since) / 1000;
}

const STORAGE_CLASSES = { network: "steward-local", "node-local": "steward-node-local" } as const;

export function nodeLoss(engine: ChaosEngine, fault: "stop" | "isolate", storage: keyof typeof STORAGE_CLASSES = "network"): Scenario {
  const back = fault === "stop" ? "start" : "restore";
  const backed = fault === "stop" ? "started" : "restored";
  return {
    name: `${engine.name}-node-${fault}${storage === "network" ? "" : `-${storage}`}`,
    description: `${engine.name}, 3 instances on 3 nodes, ${storage} storage, failover.delaySeconds 1, nodeLoss wait: the primary's node ${fault === "stop" ? "stopped (a crashed machine)" : "isolated (a partitioned machine, processes alive)"} under acknowledged writes until the node controller marks it lost, then ${backed}. Recovery: fault -> first acknowledged write.`,
    runs: 2,
    async run(world, recorder, runs) {
      const spec = { storage: { size: "1Gi", storageClassName: STORAGE_CLASSES[storage] } };
      const cluster = await provisionCluster(world, engine, `chaos-${engine.name}-node`, spec);
      const result = recorder.result;
      const sampler = startDoublePrimarySampler(world.client, cluster.namespace, cluster.name, engine, cluster.connection);
      const writer = engine.writer(cluster.connection);
      const marked: number[] = [];
      try {
        for (let run = 1; run <= runs; run++) {
          await engine.waitReady(world.client, cluster.namespace, cluster.name, 240_000);
          await sleep(1_000);
          const old = (await currentPrimary(world, cluster))!;
          const pod = await world.client.get<KubeObject & { spec?: { nodeName?: string } }>(RESOURCES.Pod, cluster.namespace, old);
          const node = pod?.spec?.nodeName;
          if (!node) throw new Error(`${old} has no node`);
          await world.runtime.setNode({ node, state: fault });
          const faultAt = Date.now();
          result.runs++;
          let lostAfter: number | undefined;
          try {
            const resumed = await waitUntil(async () => writer.firstAckAfter(faultAt), 90_000, 50);
            if (resumed === undefined) recorder.fail(run, `no acknowledged write within 90 s of the ${fault} of ${node} (primary ${old})`, await evidence(world, cluster));
            else result.recoverySeconds.push((resumed - faultAt) / 1000);
            lostAfter = await nodeMarkedLost(world, node, faultAt);
            if (lostAfter !== undefined) marked.push(lostAfter);
          } finally {
            await world.runtime.setNode({ node, state: back });
          }
          const ready = await engine.waitReady(world.client, cluster.namespace, cluster.name, 240_000).catch(() => undefined);
          const role = await instanceRole(world, cluster, old);
          world.log(`${result.name} run ${run}: ${fault} ${node} (primary ${old}); node marked lost after ${lostAfter?.toFixed(1) ?? "never"} s; ${await currentPrimary(world, cluster)} primary; ${old} is now ${role}`);
          if (!ready) recorder.fail(run, `not Ready within 240 s of the ${back} of ${node}`, await evidence(world, cluster));
          else if (role !== "replica") recorder.fail(run, `${old} came back as ${role ?? "nothing"}, not as a replica`, await evidence(world, cluster));
        }
      } finally {
        await settle(world, recorder, engine, cluster, writer, sampler);
        result.notes["node marked lost by kube-controller-manager (s after the fault), p50"] = percentile(marked, 50)?.toFixed(1) ?? "n/a";
        await cluster.remove();
      }
    },
  };
}
