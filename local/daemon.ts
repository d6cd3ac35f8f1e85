/**
 * The process behind `steward local up`: runs one local cluster until SIGTERM/SIGINT/SIGHUP,
 * then stops it (and with it everything it created). It writes <stateDir>/daemon.json once the
 * cluster is ready; `steward local up` waits for that file and `down` signals the pid in it.
 * Its children die with it (parent-death signal), and its slot's watchdog cleans the host if it
 * is killed outright.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startLocalCluster } from "./cluster.js";
import type { DaemonInfo } from "./daemon-control.js";

const { values } = parseArgs({
  options: {
    "state-dir": { type: "string" },
    slot: { type: "string" },
    nodes: { type: "string" },
    "no-s3": { type: "boolean", default: false },
    operator: { type: "boolean", default: false },
    "operator-mode": { type: "string", default: "chart" },
    "backoff-base-ms": { type: "string" },
  },
});
const stateDir = values["state-dir"];
if (!stateDir) {
  console.error("usage: daemon --state-dir DIR [--slot N] [--nodes N] [--no-s3] [--operator [--operator-mode chart|host]]");
  process.exit(2);
}
const infoFile = join(stateDir, "daemon.json");
const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

rmSync(infoFile, { force: true });
try {
  const cluster = await startLocalCluster({
    stateDir,
    slot: values.slot !== undefined ? Number(values.slot) : undefined,
    nodes: values.nodes !== undefined ? Number(values.nodes) : undefined,
    withS3: !values["no-s3"],
    withOperator: values.operator,
    operatorMode: values["operator-mode"] === "host" ? "host" : "chart",
    backoffBaseMs: values["backoff-base-ms"] ? Number(values["backoff-base-ms"]) : undefined,
    log,
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the local cluster`);
    try {
      await cluster.stop();
      log("stopped");
    } finally {
      rmSync(infoFile, { force: true });
      process.exit(0);
    }
  };
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => void stop(signal));
  const info: DaemonInfo = {
    pid: process.pid,
    stateDir,
    slot: cluster.slot,
    kubeconfig: cluster.kubeconfig,
    server: cluster.server,
    kubectl: cluster.kubectl,
    runtimeSocket: cluster.runtimeSocket,
    s3: cluster.s3 ? { endpoint: cluster.s3.endpoint, endpointInCluster: cluster.s3.endpointInCluster, bucket: cluster.s3.bucket, caFile: cluster.s3.caFile } : undefined,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(infoFile, JSON.stringify(info, null, 2) + "\n", { mode: 0o600 });
  log("local cluster ready");
} catch (error) {
  log(`the local cluster did not start: ${error instanceof Error ? (process.env.STEWARD_DEBUG ? (error.stack ?? error.message) : error.message) : String(error)}`);
  process.exit(1);
}
