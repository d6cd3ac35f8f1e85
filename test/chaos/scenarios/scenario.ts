/**
 * The contract of one chaos scenario (one file each, listed in index.ts) and what they share:
 * a recorder that becomes the report's ScenarioResult, waiting with a deadline, and reading the
 * promotions the operator recorded.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { RESOURCES, type KubeObject } from "../../../shared/k8s/client.js";
import type { Failure, ScenarioResult } from "../report.js";
import type { AcknowledgedWriter } from "../../e2e/cluster-fixtures.js";
import type { ChaosEngine } from "../engines.js";
import type { SamplerResult } from "../sampler.js";
import type { ChaosWorld, ScenarioCluster } from "../world.js";

export interface Scenario {
  name: string;
  description: string;
  /** Runs (faults) in `npm run chaos`; STEWARD_CHAOS_RUNS scales every scenario. */
  runs: number;
  run(world: ChaosWorld, recorder: Recorder, runs: number): Promise<void>;
}

export class Recorder {
  readonly result: ScenarioResult;
  private readonly started = Date.now();

  constructor(scenario: Scenario) {
    this.result = { name: scenario.name, description: scenario.description, runs: 0, kills: 0, recoverySeconds: [], acknowledgedWrites: 0, lostWrites: 0, doublePrimarySamples: 0, samples: 0, failures: [], notes: {}, durationSeconds: 0 };
  }

  fail(run: number, what: string, log: string[] = []): void {
    const failure: Failure = { run, what, log };
    this.result.failures.push(failure);
  }

  finish(): ScenarioResult {
    this.result.durationSeconds = (Date.now() - this.started) / 1000;
    return this.result;
  }
}

/** Polls `check` every `everyMs` until it returns a value; undefined after `timeoutMs`. */
export async function waitUntil<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    await sleep(everyMs);
  }
  return undefined;
}

type EventObject = KubeObject & { reason?: string; note?: string; eventTime?: string; series?: { count?: number } };

/** Events of `reason` in the namespace since `since` (ms epoch), counting repeats of a series. */
export async function eventsSince(world: ChaosWorld, namespace: string, reason: string, since: number): Promise<string[]> {
  const events = await world.client.list<EventObject>(RESOURCES.Event, namespace);
  return events.items
    .filter((event) => event.reason === reason && Date.parse(String(event.eventTime ?? event.metadata.creationTimestamp)) >= since)
    .flatMap((event) => Array.from({ length: event.series?.count ?? 1 }, () => String(event.note)));
}

/** What the failure log shows of a cluster: its status, the last operator lines. */
export async function evidence(world: ChaosWorld, cluster: ScenarioCluster): Promise<string[]> {
  const current = await world.client.get<KubeObject & { status?: unknown }>(RESOURCES.DatabaseCluster, cluster.namespace, cluster.name).catch(() => undefined);
  return [`status: ${JSON.stringify(current?.status ?? {}).slice(0, 2500)}`, "operator log:", ...cluster.operator.tail(25).map((line) => line.slice(0, 400))];
}

/**
 * Stops the writer and the sampler, records what they saw, and checks the ledger: every
 * acknowledged id read back through the primary Service once the cluster is Ready.
 */
export async function settle(world: ChaosWorld, recorder: Recorder, engine: ChaosEngine, cluster: ScenarioCluster, writer: AcknowledgedWriter, sampler: { stop(): Promise<SamplerResult> }): Promise<void> {
  const result = recorder.result;
  await writer.stop();
  const sampled = await sampler.stop();
  result.samples = sampled.samples;
  result.doublePrimarySamples = sampled.doublePrimarySamples;
  if (sampled.doublePrimarySamples > 0) recorder.fail(0, `${sampled.doublePrimarySamples} samples with two pods accepting writes`, sampled.doubles.slice(0, 40));
  const ids = writer.acknowledged.map((entry) => entry.id);
  result.acknowledgedWrites = ids.length;
  result.notes["failed write attempts (ledger writer)"] = writer.errors();
  await engine.waitReady(world.client, cluster.namespace, cluster.name, 180_000).catch(() => undefined);
  for (let attempt = 1; ; attempt++) {
    try {
      const missing = await engine.missingIds(cluster.connection, ids);
      result.lostWrites = missing.length;
      if (missing.length > 0) recorder.fail(0, `${missing.length} acknowledged writes lost`, [`first missing ids: ${missing.slice(0, 20).join(", ")}`]);
      return;
    } catch (error) {
      if (attempt >= 10) {
        recorder.fail(0, `could not read the ledger back: ${error instanceof Error ? error.message : String(error)}`, await evidence(world, cluster));
        return;
      }
      await sleep(2_000);
    }
  }
}

export async function currentPrimary(world: ChaosWorld, cluster: ScenarioCluster): Promise<string | undefined> {
  const current = await world.client.get<KubeObject & { status?: { currentPrimary?: string } }>(RESOURCES.DatabaseCluster, cluster.namespace, cluster.name);
  return current?.status?.currentPrimary;
}

export async function instanceRole(world: ChaosWorld, cluster: ScenarioCluster, pod: string): Promise<string | undefined> {
  const current = await world.client.get<KubeObject & { status?: { instances?: { name: string; role?: string }[] } }>(RESOURCES.DatabaseCluster, cluster.namespace, cluster.name);
  return current?.status?.instances?.find((instance) => instance.name === pod)?.role;
}

/** The last lines of every run of a Job's pods (the runtime keeps them under its state), for a failure's log. */
export function jobLogs(world: ChaosWorld, namespace: string, job: string, lines = 15): string[] {
  const podsDir = join(world.stateDir, "runtime", "pods");
  if (!existsSync(podsDir)) return [];
  return readdirSync(podsDir)
    .filter((dir) => dir.startsWith(`${namespace}_${job}-`))
    .flatMap((dir) => {
      const logs = join(podsDir, dir, "logs");
      if (!existsSync(logs)) return [];
      return readdirSync(logs).flatMap((file) => [`${dir}/${file}:`, ...readFileSync(join(logs, file), "utf8").trimEnd().split("\n").slice(-lines).map((line) => `  ${line.slice(0, 400)}`)]);
    });
}
