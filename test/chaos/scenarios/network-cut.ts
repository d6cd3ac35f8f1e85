/**
 * Primary network cut (link down, process alive) under acknowledged writes through the primary
 * Service: the old primary must stop acknowledging, a replica be promoted, writes resume, and
 * when the link returns the old primary rejoin as a replica, never as a second primary.
 * Recovery: from the cut to the first acknowledged write after it (the ledger writer, which
 * sets the timeouts the engine's README asks of applications). A second writer with the
 * driver's defaults shows what an application that sets nothing waits (note "defaults client").
 */
import { setTimeout as sleep } from "node:timers/promises";
import { percentile } from "../report.js";
import type { ChaosEngine } from "../engines.js";
import { startDoublePrimarySampler } from "../sampler.js";
import { provisionCluster } from "../world.js";
import { currentPrimary, evidence, settle, instanceRole, waitUntil, type Scenario } from "./scenario.js";

const CUT_MS = 15_000;

export function networkCut(engine: ChaosEngine): Scenario {
  return {
    name: `${engine.name}-network-cut`,
    description: `${engine.name}, 3 instances, failover.delaySeconds 1, dataLoss none: the primary's network is cut for ${CUT_MS / 1000} s (process alive) under acknowledged writes through the primary Service, then restored. Recovery: cut -> first acknowledged write.`,
    runs: 3,
    async run(world, recorder, runs) {
      const cluster = await provisionCluster(world, engine, `chaos-${engine.name}-cut`);
      const result = recorder.result;
      const sampler = startDoublePrimarySampler(world.client, cluster.namespace, cluster.name, engine, cluster.connection);
      const writer = engine.writer(cluster.connection);
      const defaults = engine.defaultsWriter(cluster.connection);
      const defaultsResumed: number[] = [];
      try {
        for (let run = 1; run <= runs; run++) {
          await engine.waitReady(world.client, cluster.namespace, cluster.name, 180_000);
          await sleep(1_000);
          const old = (await currentPrimary(world, cluster))!;
          await world.runtime.setNetwork({ namespace: cluster.namespace, pod: old, state: "cut" });
          const cutAt = Date.now();
          result.runs++;
          const resumed = await waitUntil(async () => writer.firstAckAfter(cutAt), CUT_MS + 45_000, 50);
          const promoted = await currentPrimary(world, cluster);
          await sleep(Math.max(0, cutAt + CUT_MS - Date.now()));
          await world.runtime.setNetwork({ namespace: cluster.namespace, pod: old, state: "restore" });
          const restoredAt = Date.now();
          if (resumed === undefined) recorder.fail(run, `no acknowledged write within ${(CUT_MS + 45_000) / 1000} s of cutting ${old}`, await evidence(world, cluster));
          else recorder.result.recoverySeconds.push((resumed - cutAt) / 1000);
          const ready = await engine.waitReady(world.client, cluster.namespace, cluster.name, 180_000).catch(() => undefined);
          if (!ready) recorder.fail(run, `not Ready again within 180 s of restoring ${old}'s network`, await evidence(world, cluster));
          const defaultsAck = await waitUntil(async () => defaults.firstAckAfter(cutAt), 30_000, 100);
          if (defaultsAck !== undefined) defaultsResumed.push((defaultsAck - cutAt) / 1000);
          const role = await instanceRole(world, cluster, old);
          world.log(`${result.name} run ${run}: cut ${old}, ${promoted} primary, writes resumed ${resumed ? ((resumed - cutAt) / 1000).toFixed(2) : "never"} s after the cut (defaults client ${defaultsAck ? ((defaultsAck - cutAt) / 1000).toFixed(2) : "never"} s); link back ${((restoredAt - cutAt) / 1000).toFixed(1)} s after the cut; ${old} is now ${role}`);
          if (promoted === old) recorder.fail(run, `${old} was still the primary after the cut: no failover`, await evidence(world, cluster));
          else if (role !== "replica") recorder.fail(run, `${old} rejoined as ${role ?? "nothing"}, not as a replica`, await evidence(world, cluster));
        }
      } finally {
        await defaults.stop();
        await settle(world, recorder, engine, cluster, writer, sampler);
        result.notes["defaults client: seconds from the cut to its first acknowledged write, per run"] = defaultsResumed.map((value) => value.toFixed(2)).join(", ") || "never";
        result.notes["defaults client p50 (s)"] = percentile(defaultsResumed, 50)?.toFixed(2) ?? "n/a";
        await cluster.remove();
      }
    },
  };
}
