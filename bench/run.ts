/**
 * `npm run bench [-- name ...]`: runs the benchmarks and prints their numbers. Each bench
 * prints as it goes and returns its results; this prints them all again as one table at the
 * end (and as JSON with --json). Numbers, never pass/fail: goals live in the issues.
 */
import { benchBackup } from "./backup.js";
import { benchExporters } from "./exporters.js";
import { benchConsole } from "./console.js";
import { benchLocal } from "./local.js";
import { benchMysql } from "./mysql.js";
import { benchNodeLoss } from "./node-loss.js";
import { benchOperator } from "./operator.js";
import { benchRabbitmq } from "./rabbitmq.js";
import { benchRedis } from "./redis.js";
import { benchRedisTls } from "./redis-tls.js";
import { benchTls } from "./tls.js";

type Bench = () => Promise<Record<string, number | string>>;

const BENCHES: Record<string, Bench> = {
  local: benchLocal,
  operator: () => benchOperator(),
  mysql: benchMysql,
  redis: benchRedis,
  rabbitmq: benchRabbitmq,
  "node-loss": benchNodeLoss,
  backup: benchBackup,
  exporters: benchExporters,
  console: () => benchConsole(1000),
  tls: benchTls,
  "redis-tls": benchRedisTls,
};

const args = process.argv.slice(2);
const json = args.includes("--json");
const selected = args.filter((arg) => !arg.startsWith("--"));
const names = selected.length > 0 ? selected : Object.keys(BENCHES);
const unknown = names.filter((name) => !BENCHES[name]);
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(", ")}; choose from ${Object.keys(BENCHES).join(", ")}`);
  process.exit(2);
}

const results: Record<string, number | string> = {};
for (const name of names) {
  console.log(`\n== ${name} ==`);
  const started = Date.now();
  try {
    Object.assign(results, await BENCHES[name]!());
  } catch (error) {
    results[`${name}.error`] = error instanceof Error ? error.message : String(error);
    console.error(`${name} failed: ${results[`${name}.error`]}`);
  }
  console.log(`(${name} took ${Math.round((Date.now() - started) / 1000)} s)`);
}
console.log("\n== results ==");
const width = Math.max(...Object.keys(results).map((key) => key.length));
for (const [key, value] of Object.entries(results)) console.log(`${key.padEnd(width)}  ${value}`);
if (json) console.log(JSON.stringify(results));
process.exit(Object.keys(results).some((key) => key.endsWith(".error")) ? 1 : 0);
