/**
 * The double-primary sampler: every 100 ms, from outside the cluster, asks every pod of the
 * cluster at its own address whether it accepts a write (a real write, not a role query), and
 * counts the samples in which two or more did. Through the primary Service only one pod should
 * ever be reachable, but a client holding an old connection, or a pod the Service forgot,
 * writes to whatever accepts: this is what the sampler catches.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { LABELS } from "../../shared/api/index.js";
import { RESOURCES, type KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import type { Connection } from "../e2e/cluster-fixtures.js";
import type { ChaosEngine, WriteProbe } from "./engines.js";

export interface SamplerResult {
  samples: number;
  /** Samples in which two or more pods accepted a write. */
  doublePrimarySamples: number;
  /** When each such sample was taken, with the pods, for the failure log. */
  doubles: string[];
}

const PROBE_TIMEOUT_MS = 300;
const INTERVAL_MS = 100;
/** A probe answer older than this no longer counts (a pod whose next probe hangs does not accept). */
const FRESH_MS = 2 * INTERVAL_MS;

/**
 * Each pod is probed by a loop of its own (a pod that does not answer must not slow the others'
 * samples); every 100 ms a sample counts the pods whose latest answer is fresh and accepted.
 */
export function startDoublePrimarySampler(client: KubeClient, namespace: string, name: string, engine: ChaosEngine, connection: Connection) {
  const probes = new Map<string, { ip: string; probe: WriteProbe; latest?: { started: number; at: number; accepted: boolean }; stopped: boolean; loop: Promise<void> }>();
  let samples = 0;
  const doubles: string[] = [];
  let stopped = false;
  const probeLoop = async (entry: { probe: WriteProbe; latest?: { started: number; at: number; accepted: boolean }; stopped: boolean }) => {
    while (!stopped && !entry.stopped) {
      const started = Date.now();
      const accepted = await entry.probe.acceptsWrite(PROBE_TIMEOUT_MS);
      entry.latest = { started, at: Date.now(), accepted };
      await sleep(Math.max(0, INTERVAL_MS - (Date.now() - started)));
    }
  };
  const refresh = async () => {
    const pods = await client.list<KubeObject & { status?: { podIP?: string } }>(RESOURCES.Pod, namespace, { labelSelector: `${LABELS.cluster}=${name}` });
    for (const pod of pods.items) {
      const ip = pod.status?.podIP;
      const known = probes.get(pod.metadata.name);
      if (!ip || known?.ip === ip) continue;
      if (known) {
        known.stopped = true;
        known.probe.close();
      }
      const entry = { ip, probe: engine.probe(connection, ip), stopped: false, loop: Promise.resolve() };
      entry.loop = probeLoop(entry);
      probes.set(pod.metadata.name, entry);
    }
  };
  const loop = (async () => {
    let refreshedAt = 0;
    while (!stopped) {
      const tick = Date.now();
      if (tick - refreshedAt > 1_000) {
        refreshedAt = tick;
        // The API server may be busy: probe the pods known so far meanwhile.
        void refresh().catch(() => undefined);
      }
      const writable = [...probes.entries()].filter(([, entry]) => entry.latest && entry.latest.accepted && tick - entry.latest.at <= FRESH_MS);
      if (probes.size > 0) samples++;
      // Two acceptances count as simultaneous only if their probes overlapped in time: one pod
      // that stopped accepting just before another started (a switchover) is not a double.
      const overlapping = writable.filter(([pod, a]) => writable.some(([other, b]) => other !== pod && a.latest!.started <= b.latest!.at && b.latest!.started <= a.latest!.at));
      if (overlapping.length > 1) doubles.push(`${new Date(tick).toISOString()} ${overlapping.map(([pod]) => pod).join(", ")}`);
      await sleep(Math.max(0, INTERVAL_MS - (Date.now() - tick)));
    }
  })();
  return {
    stop: async (): Promise<SamplerResult> => {
      stopped = true;
      await loop;
      await Promise.all([...probes.values()].map((entry) => entry.loop));
      for (const { probe } of probes.values()) probe.close();
      return { samples, doublePrimarySamples: doubles.length, doubles };
    },
  };
}
