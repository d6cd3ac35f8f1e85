/**
 * `npm run chaos [-- name ...] [--runs N] [--out DIR]`: starts one local cluster (a free slot,
 * its own state directory), runs the scenarios of scenarios/index.ts (or those named) one after
 * the other, and writes report.md and report.json to DIR (default test-artifacts/chaos), with
 * each operator's log beside them. STEWARD_CHAOS_RUNS or --runs replaces every scenario's
 * number of runs (a quick look: --runs 1). Exits 1 when a scenario broke a promise.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startLocalCluster } from "../../local/cluster.js";
import { installSlotLookup } from "../../local/slot-names.js";
import { writeReport, type ScenarioResult } from "./report.js";
import { SCENARIOS } from "./scenarios/index.js";
import { Recorder } from "./scenarios/scenario.js";
import { openWorld } from "./world.js";

const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const runsOverride = Number(option("--runs") ?? process.env.STEWARD_CHAOS_RUNS ?? 0) || undefined;
const outDir = resolve(option("--out") ?? "test-artifacts/chaos");
const named = args.filter((arg, index) => !arg.startsWith("--") && !["--runs", "--out"].includes(args[index - 1] ?? ""));
const unknown = named.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
if (unknown.length > 0) {
  console.error(`unknown scenario: ${unknown.join(", ")}; choose from ${SCENARIOS.map((scenario) => scenario.name).join(", ")}`);
  process.exit(2);
}
const selected = named.length > 0 ? SCENARIOS.filter((scenario) => named.includes(scenario.name)) : SCENARIOS;

const started = new Date();
mkdirSync(outDir, { recursive: true });
const stateDir = mkdtempSync(join(tmpdir(), "steward-chaos-"));
const log = (line: string) => console.log(`[${((Date.now() - started.getTime()) / 1000).toFixed(0).padStart(5)} s] ${line}`);
// Pods are killed again and again: a short restart backoff keeps runs comparable.
const cluster = await startLocalCluster({ stateDir, withS3: true, nodes: 3, backoffBaseMs: 1000, log: (line) => log(`[local cluster] ${line}`) });
installSlotLookup(cluster.slot);
// Stopped by a signal: stop the cluster, and (world.ts, on exit) the operators, then leave.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void cluster.stop().finally(() => process.exit(130)));
const results: ScenarioResult[] = [];
const machine = `${cpus().length} cores, Node ${process.version}`;
try {
  const world = await openWorld(cluster, stateDir, outDir, log);
  for (const scenario of selected) {
    const runs = runsOverride ?? scenario.runs;
    log(`== ${scenario.name} (${runs} runs) ==`);
    const recorder = new Recorder(scenario);
    try {
      await scenario.run(world, recorder, runs);
    } catch (error) {
      recorder.fail(recorder.result.runs + 1, `the scenario stopped: ${error instanceof Error ? error.message : String(error)}`, error instanceof Error && error.stack ? error.stack.split("\n").slice(0, 10) : []);
    }
    results.push(recorder.finish());
    log(`${scenario.name}: ${recorder.result.failures.length} failure(s); report so far in ${writeReport(outDir, results, started, machine)}`);
  }
} finally {
  await cluster.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
console.log(`\nreport: ${writeReport(outDir, results, started, machine)}`);
process.exit(results.some((result) => result.failures.length > 0) ? 1 : 0);
