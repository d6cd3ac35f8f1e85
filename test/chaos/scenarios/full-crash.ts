/**
 * Full-cluster crash: every pod's processes and the operator SIGKILLed at once under
 * acknowledged writes; a successor operator starts at once. The cluster must come back by
 * itself with the most advanced instance as primary: checked as 0 acknowledged writes lost
 * (an older instance as primary would lose the newest) and never two pods accepting writes.
 * Recovery: crash -> first acknowledged write.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { LABELS } from "../../../shared/api/index.js";
import { RESOURCES } from "../../../shared/k8s/client.js";
import type { ChaosEngine } from "../engines.js";
import { startDoublePrimarySampler } from "../sampler.js";
import { provisionCluster } from "../world.js";
import { currentPrimary, evidence, settle, waitUntil, type Scenario } from "./scenario.js";

export function fullCrash(engine: ChaosEngine): Scenario {
  return {
    name: `${engine.name}-full-crash`,
    description: `${engine.name}, 3 instances: every pod's processes and the operator SIGKILLed at once under acknowledged writes. Recovery: crash -> first acknowledged write.`,
    runs: 3,
    async run(world, recorder, runs) {
      const cluster = await provisionCluster(world, engine, `chaos-${engine.name}-crash`);
      const result = recorder.result;
      const sampler = startDoublePrimarySampler(world.client, cluster.namespace, cluster.name, engine, cluster.connection);
      const writer = engine.writer(cluster.connection);
      try {
        for (let run = 1; run <= runs; run++) {
          await engine.waitReady(world.client, cluster.namespace, cluster.name, 240_000).catch(() => undefined);
          await sleep(1_000);
          const before = await currentPrimary(world, cluster);
          const pods = (await world.client.list(RESOURCES.Pod, cluster.namespace, { labelSelector: `${LABELS.cluster}=${cluster.name}` })).items.map((pod) => pod.metadata.name);
          const crashAt = Date.now();
          await Promise.all([cluster.operator.kill(), ...pods.map((pod) => world.runtime.killPod({ namespace: cluster.namespace, pod }))]);
          await cluster.replaceOperator();
          result.runs++;
          result.kills += pods.length + 1;
          const resumed = await waitUntil(async () => writer.firstAckAfter(crashAt + 500), 240_000, 100);
          const ready = await engine.waitReady(world.client, cluster.namespace, cluster.name, 240_000).catch(() => undefined);
          world.log(`${result.name} run ${run}: killed ${pods.join(", ")} and the operator (primary ${before}); writes resumed ${resumed ? `after ${((resumed - crashAt) / 1000).toFixed(1)} s` : "never"} on ${await currentPrimary(world, cluster)}`);
          if (resumed === undefined) recorder.fail(run, "no acknowledged write within 240 s of the crash", await evidence(world, cluster));
          else result.recoverySeconds.push((resumed - crashAt) / 1000);
          if (!ready) recorder.fail(run, "not Ready within 240 s of the crash", await evidence(world, cluster));
        }
      } finally {
        await settle(world, recorder, engine, cluster, writer, sampler);
        await cluster.remove();
      }
    },
  };
}
