/**
 * S3 failing under backups and archiving: the local S3 pod's fault proxy (`steward local fault
 * s3`) answers errors, resets connections, holds responses past the agent's timeouts, or loses
 * the bucket, while an on-demand backup runs and (MariaDB) the binlog archiver ships. One run is
 * one fault. Checked for each: the backup ends (never stuck Running); a Completed backup is
 * restored into a throwaway instance by the cluster's `verify` and must be Verified (never a
 * false Completed); a Failed one says why; once the fault is over the next backup Completes and
 * is Verified; the archive catches up past the end of the fault and any gap is in status.
 * Recovery: end of the fault -> archive caught up (MariaDB) or next backup Completed (Redis).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { loadKubeConfig } from "../../../local/apply.js";
import { setS3Fault } from "../../../local/s3/s3.js";
import type { S3FaultRequest } from "../../../local/s3/fault.js";
import { databaseBackup, type DatabaseBackup } from "../../../shared/api/index.js";
import { RESOURCES, type KubeObject } from "../../../shared/k8s/client.js";
import { createLocalBackupStorage } from "../../e2e/cluster-fixtures.js";
import type { ChaosEngine } from "../engines.js";
import { startDoublePrimarySampler } from "../sampler.js";
import { provisionCluster, type ChaosWorld, type ScenarioCluster } from "../world.js";
import { evidence, jobLogs, settle, waitUntil, type Scenario } from "./scenario.js";

interface FaultCase {
  label: string;
  request: S3FaultRequest;
}

/** Each lasts a bounded time (forSeconds): the proxy clears it by itself, as real outages end. */
const CASES: FaultCase[] = [
  { label: "503 SlowDown on every request for 20 s", request: { fault: { mode: "errors", status: 503 }, rate: 1, forSeconds: 20 } },
  { label: "500 InternalError on 30 % of requests for 60 s", request: { fault: { mode: "errors", status: 500 }, rate: 0.3, forSeconds: 60 } },
  { label: "connections reset after 16 KiB, half of them, for 40 s", request: { fault: { mode: "drop", afterBytes: 16_384 }, rate: 0.5, forSeconds: 40 } },
  { label: "responses held 150 s, for 60 s", request: { fault: { mode: "slow", delayMs: 150_000 }, rate: 1, forSeconds: 60 } },
  { label: "the bucket gone for 30 s", request: { fault: { mode: "missing-bucket" }, rate: 1, forSeconds: 30 } },
];

type PointInTimeStatus = { latest?: string; gaps?: { from: string; to: string; reason: string }[] };

async function readBackup(world: ChaosWorld, namespace: string, name: string): Promise<DatabaseBackup | undefined> {
  const raw = await world.client.get(RESOURCES.DatabaseBackup, namespace, name);
  return raw ? databaseBackup.parse(raw) : undefined;
}

async function pointInTime(world: ChaosWorld, cluster: ScenarioCluster): Promise<PointInTimeStatus | undefined> {
  const current = await world.client.get<KubeObject & { status?: { pointInTime?: PointInTimeStatus } }>(RESOURCES.DatabaseCluster, cluster.namespace, cluster.name);
  return current?.status?.pointInTime;
}

/** Creates a backup and waits for its end and, when Completed, its verification. */
async function backupOnce(world: ChaosWorld, cluster: ScenarioCluster, name: string): Promise<{ backup?: DatabaseBackup; seconds: number }> {
  const started = Date.now();
  await world.client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name, namespace: cluster.namespace }, spec: { cluster: cluster.name } } as KubeObject);
  const ended = await waitUntil(async () => {
    const backup = await readBackup(world, cluster.namespace, name);
    if (backup?.status?.phase === "Failed") return backup;
    if (backup?.status?.phase === "Completed" && backup.status.verification) return backup;
    return undefined;
  }, 600_000, 1_000);
  return { backup: ended ?? (await readBackup(world, cluster.namespace, name)), seconds: (Date.now() - started) / 1000 };
}

export function s3Faults(engine: ChaosEngine): Scenario {
  const archives = engine.name === "mariadb";
  return {
    name: `${engine.name}-s3-faults`,
    description: `${engine.name}, 3 instances, backups verified by restoring them (spec.backup.verify)${archives ? ", binlog archiving on" : ""}; S3 faults from the local S3 pod's fault proxy, one per run: ${CASES.map((c) => c.label).join("; ")}. A backup is started as each fault begins. Recovery: end of the fault -> ${archives ? "archive caught up past it" : "the next backup Completed"}.`,
    runs: CASES.length,
    async run(world, recorder, runs) {
      const config = loadKubeConfig(world.cluster.kubeconfig);
      const cluster = await provisionCluster(world, engine, `chaos-${engine.name}-s3`);
      const result = recorder.result;
      await createLocalBackupStorage(world.client, cluster.namespace, world.cluster.s3!, { name: "chaos-s3", prefix: `${cluster.namespace}/` });
      await world.client.mergePatch(RESOURCES.DatabaseCluster, cluster.namespace, cluster.name, { spec: { backup: { storage: "chaos-s3", verify: true, ...(archives ? { pointInTime: { enabled: true } } : {}) } } });
      const sampler = startDoublePrimarySampler(world.client, cluster.namespace, cluster.name, engine, cluster.connection);
      const writer = engine.writer(cluster.connection);
      const outcomes: string[] = [];
      let falseCompleted = 0;
      try {
        if (archives) await waitUntil(async () => (await pointInTime(world, cluster))?.latest, 120_000, 1_000);
        for (let run = 1; run <= runs; run++) {
          const faultCase = CASES[(run - 1) % CASES.length]!;
          result.runs++;
          await setS3Fault(config, faultCase.request);
          const faultEnds = Date.now() + (faultCase.request.forSeconds ?? 0) * 1000;
          const during = await backupOnce(world, cluster, `during-${run}`);
          const phase = during.backup?.status?.phase;
          const why = during.backup?.status?.error ? `${during.backup.status.error.step}: ${during.backup.status.error.message}` : "";
          outcomes.push(`${faultCase.label}: ${phase ?? "no phase"} after ${during.seconds.toFixed(0)} s${why ? ` (${why.slice(0, 160)})` : ""}${during.backup?.status?.verification ? `, ${during.backup.status.verification.result}` : ""}`);
          if (phase !== "Completed" && phase !== "Failed") recorder.fail(run, `${faultCase.label}: the backup did not end within 600 s (phase ${phase ?? "none"})`, await evidence(world, cluster));
          else if (phase === "Failed" && !why) recorder.fail(run, `${faultCase.label}: Failed without saying why`, [JSON.stringify(during.backup?.status), ...jobLogs(world, cluster.namespace, during.backup?.status?.job ?? `during-${run}-backup`)]);
          else if (phase === "Completed" && during.backup?.status?.verification?.result !== "Verified") {
            falseCompleted++;
            recorder.fail(run, `${faultCase.label}: Completed but its restore did not verify: ${during.backup?.status?.verification?.message ?? "no verification"}`, [JSON.stringify(during.backup?.status)]);
          }
          // The fault is over (the proxy clears it at its end; clear it in case the backup ended first).
          await sleep(Math.max(0, faultEnds - Date.now()));
          await setS3Fault(config, { fault: { mode: "none" }, rate: 1 });
          const clearedAt = Date.now();
          const after = await backupOnce(world, cluster, `after-${run}`);
          if (after.backup?.status?.phase !== "Completed" || after.backup.status.verification?.result !== "Verified")
            recorder.fail(run, `${faultCase.label}: the next backup after the fault did not Complete and verify (${after.backup?.status?.phase ?? "no phase"}: ${after.backup?.status?.error?.message ?? after.backup?.status?.verification?.message ?? ""})`, [...(await evidence(world, cluster)), ...jobLogs(world, cluster.namespace, after.backup?.status?.job ?? `after-${run}-backup`)]);
          if (!archives) {
            if (after.backup?.status?.phase === "Completed") result.recoverySeconds.push((Date.parse(after.backup.status.completedAt ?? "") - clearedAt) / 1000);
            continue;
          }
          const caughtUp = await waitUntil(async () => {
            const latest = (await pointInTime(world, cluster))?.latest;
            return latest && Date.parse(latest) > clearedAt ? Date.now() : undefined;
          }, 180_000, 1_000);
          if (caughtUp === undefined) recorder.fail(run, `${faultCase.label}: the archive did not catch up within 180 s of the fault's end`, await evidence(world, cluster));
          else result.recoverySeconds.push((caughtUp - clearedAt) / 1000);
        }
      } finally {
        await setS3Fault(config, { fault: { mode: "none" }, rate: 1 }).catch(() => undefined);
        const gaps = archives ? ((await pointInTime(world, cluster))?.gaps ?? []) : [];
        await settle(world, recorder, engine, cluster, writer, sampler);
        outcomes.forEach((outcome, index) => (result.notes[`run ${index + 1}`] = outcome));
        result.notes["Completed backups that did not verify"] = falseCompleted;
        if (archives) result.notes["point-in-time gaps in status"] = gaps.length === 0 ? "none" : gaps.map((gap) => `${gap.from}..${gap.to} (${gap.reason})`).join("; ");
        await cluster.remove();
      }
    },
  };
}
