/**
 * The operator SIGKILLed at a random instant (0-3 s) into a failover (the primary's engine
 * process killed) or a switchover (the annotation set), under acknowledged writes; a successor
 * starts at once. Checked per run: the cluster converges (Ready, one primary, the switchover
 * annotation handled), at most one promotion per fault (FailedOver events: the promotion Lease
 * and the recorded target hold across the kill), never two pods accepting writes; at the end
 * no acknowledged write lost. Recovery: fault -> Ready again.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ANNOTATIONS } from "../../../shared/api/index.js";
import { RESOURCES, type KubeObject } from "../../../shared/k8s/client.js";
import type { ChaosEngine } from "../engines.js";
import { startDoublePrimarySampler } from "../sampler.js";
import { provisionCluster } from "../world.js";
import { currentPrimary, eventsSince, evidence, settle, waitUntil, type Scenario } from "./scenario.js";

const ACTIONS = ["failover", "switchover"] as const;

export function operatorKill(engine: ChaosEngine): Scenario {
  return {
    name: `${engine.name}-operator-kill`,
    description: `${engine.name}, 3 instances: the operator is SIGKILLed 0-3 s into a failover (primary's engine process killed) or a switchover, alternately; a successor starts at once. Recovery: fault -> Ready.`,
    runs: 25,
    async run(world, recorder, runs) {
      const cluster = await provisionCluster(world, engine, `chaos-${engine.name}-opkill`);
      const result = recorder.result;
      const sampler = startDoublePrimarySampler(world.client, cluster.namespace, cluster.name, engine, cluster.connection);
      const writer = engine.writer(cluster.connection);
      const killDelays: number[] = [];
      let reopened = 0;
      try {
        for (let run = 1; run <= runs; run++) {
          await engine.waitReady(world.client, cluster.namespace, cluster.name, 180_000).catch(() => undefined);
          await sleep(500);
          const action = ACTIONS[(run - 1) % ACTIONS.length]!;
          const before = await currentPrimary(world, cluster);
          const restartsBefore = (await world.client.get<KubeObject & { status?: { containerStatuses?: { name: string; restartCount?: number }[] } }>(RESOURCES.Pod, cluster.namespace, before!))?.status?.containerStatuses?.find((candidate) => candidate.name === engine.container)?.restartCount ?? 0;
          const faultAt = Date.now();
          if (action === "failover") await world.runtime.crashContainer({ namespace: cluster.namespace, pod: before!, container: engine.container });
          else await world.client.mergePatch(RESOURCES.DatabaseCluster, cluster.namespace, cluster.name, { metadata: { annotations: { [ANNOTATIONS.switchover]: "auto" } } });
          const delay = Math.floor(Math.random() * 3_000);
          killDelays.push(delay);
          await sleep(delay);
          await cluster.replaceOperator();
          result.runs++;
          result.kills++;
          // A status read right after the fault can still be the one from before it. A switchover
          // is handled once another instance is primary. A killed primary either fails over, or
          // (MariaDB, when its server is back before failover.delaySeconds counted down under the
          // new operator) is made writable again: then wait until its restarted container is ready.
          const moved = await waitUntil(async () => (await currentPrimary(world, cluster)) !== before, action === "switchover" ? 120_000 : 30_000, 100);
          if (!moved && action === "switchover") recorder.fail(run, `switchover, operator killed after ${delay} ms: ${before} still primary after 120 s`, await evidence(world, cluster));
          if (!moved && action === "failover") {
            reopened++;
            const restarted = await waitUntil(async () => {
              const pod = await world.client.get<KubeObject & { status?: { containerStatuses?: { name: string; ready?: boolean; restartCount?: number }[] } }>(RESOURCES.Pod, cluster.namespace, before!);
              const container = pod?.status?.containerStatuses?.find((candidate) => candidate.name === engine.container);
              return Boolean(container?.ready && (container.restartCount ?? 0) > restartsBefore);
            }, 120_000, 200);
            if (!restarted) recorder.fail(run, `failover, operator killed after ${delay} ms: ${before} neither replaced nor back within 150 s`, await evidence(world, cluster));
          }
          const ready = await engine.waitReady(world.client, cluster.namespace, cluster.name, 180_000).catch(() => undefined);
          const annotationLeft = ready && action === "switchover" ? (await world.client.get<KubeObject>(RESOURCES.DatabaseCluster, cluster.namespace, cluster.name))?.metadata.annotations?.[ANNOTATIONS.switchover] : undefined;
          const promotions = await eventsSince(world, cluster.namespace, "FailedOver", faultAt);
          const after = await currentPrimary(world, cluster);
          world.log(`${result.name} run ${run}: ${action} of ${before}, operator killed after ${delay} ms; ${after} primary, ${promotions.length} promotion(s), Ready ${ready ? `after ${((Date.now() - faultAt) / 1000).toFixed(1)} s` : "never"}`);
          if (!ready) recorder.fail(run, `${action}, operator killed after ${delay} ms: not Ready within 180 s`, await evidence(world, cluster));
          else result.recoverySeconds.push((Date.now() - faultAt) / 1000);
          if (promotions.length > 1) recorder.fail(run, `${action}, operator killed after ${delay} ms: ${promotions.length} promotions for one fault`, promotions);
          if (annotationLeft) recorder.fail(run, `switchover, operator killed after ${delay} ms: the annotation was never handled (${annotationLeft})`, await evidence(world, cluster));
        }
      } finally {
        await settle(world, recorder, engine, cluster, writer, sampler);
        result.notes["operator kill delays after the fault (ms)"] = killDelays.join(", ");
        result.notes["killed primaries made writable again instead of failed over"] = reopened;
        await cluster.remove();
      }
    },
  };
}
