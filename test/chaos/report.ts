/**
 * What one chaos scenario found, and the report of a run: Markdown for people, JSON for tools.
 * Numbers, not pass/fail verdicts on timings: a scenario "fails" only when it broke a promise
 * (an acknowledged write lost, two pods accepting writes at once, no convergence).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Failure {
  /** The run (1-based) it happened in, and what was broken. */
  run: number;
  what: string;
  /** The last lines of the logs that explain it (operator, status, events). */
  log: string[];
}

export interface ScenarioResult {
  name: string;
  /** One line: the fault, the engine and what is checked. */
  description: string;
  runs: number;
  /** Faults injected that kill something (a process, a pod, the operator); 0 for other faults. */
  kills: number;
  /** Seconds from each fault to the state the scenario waits for (writes accepted again, Ready). */
  recoverySeconds: number[];
  acknowledgedWrites: number;
  lostWrites: number;
  /** 100 ms samples in which two or more pods accepted a write. */
  doublePrimarySamples: number;
  /** Samples taken by the double-primary sampler (0 when the scenario has no primary). */
  samples: number;
  failures: Failure[];
  /** Anything else measured, by name (seconds unless the name says otherwise). */
  notes: Record<string, number | string>;
  durationSeconds: number;
}

export function percentile(values: number[], p: number): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const seconds = (value: number | undefined) => (value === undefined ? "n/a" : `${value.toFixed(2)} s`);

export function summaryRow(result: ScenarioResult): string {
  const r = result.recoverySeconds;
  const max = r.length > 0 ? Math.max(...r) : undefined;
  const verdict = result.failures.length === 0 ? "ok" : `**${result.failures.length} failed**`;
  return `| ${result.name} | ${result.runs} | ${result.kills} | ${seconds(percentile(r, 50))} | ${seconds(percentile(r, 99))} | ${seconds(max)} | ${result.acknowledgedWrites} | ${result.lostWrites} | ${result.doublePrimarySamples} / ${result.samples} | ${verdict} |`;
}

export const SUMMARY_HEADER = [
  "| scenario | runs | kills | recovery p50 | p99 | max | acknowledged writes | lost | double-primary samples | result |",
  "|---|---|---|---|---|---|---|---|---|---|",
];

export function renderMarkdown(results: ScenarioResult[], started: Date, machine: string): string {
  const lines = [
    `# Chaos report`,
    "",
    `Run ${started.toISOString()} on ${machine} (\`npm run chaos\`; scenarios in test/chaos/scenarios/).`,
    "Recovery: seconds from the fault to what the scenario waits for (see each scenario). Double-primary samples: 100 ms samples, taken from outside, in which two or more pods accepted a write.",
    "",
    ...SUMMARY_HEADER,
    ...results.map(summaryRow),
    "",
  ];
  for (const result of results) {
    lines.push(`## ${result.name}`, "", result.description, "", `Took ${result.durationSeconds.toFixed(0)} s.`, "");
    const notes = Object.entries(result.notes);
    if (notes.length > 0) lines.push(...notes.map(([key, value]) => `- ${key}: ${value}`), "");
    if (result.recoverySeconds.length > 0) lines.push(`Recovery per run (s): ${result.recoverySeconds.map((value) => value.toFixed(2)).join(", ")}`, "");
    for (const failure of result.failures) {
      lines.push(`### Run ${failure.run}: ${failure.what}`, "", "```", ...failure.log.slice(-40), "```", "");
    }
  }
  return lines.join("\n");
}

/** Writes report.md and report.json into `dir`; returns the Markdown path. */
export function writeReport(dir: string, results: ScenarioResult[], started: Date, machine: string): string {
  mkdirSync(dir, { recursive: true });
  const markdown = join(dir, "report.md");
  writeFileSync(markdown, renderMarkdown(results, started, machine));
  writeFileSync(join(dir, "report.json"), JSON.stringify({ started: started.toISOString(), machine, scenarios: results }, null, 2));
  return markdown;
}
