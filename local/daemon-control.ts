import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { isAlive } from "./processes.js";
import { cleanupSlot, isSlotHeld, slotOwner } from "./runtime/slot-lease.js";
import { slotLayout } from "./runtime/slot.js";

/** What the daemon writes to <stateDir>/daemon.json when its cluster is ready. */
export interface DaemonInfo {
  pid: number;
  stateDir: string;
  slot: number;
  kubeconfig: string;
  server: string;
  kubectl: string;
  runtimeSocket?: string;
  s3?: { endpoint: string; endpointInCluster: string; bucket: string; caFile?: string };
  startedAt: string;
}

export function defaultStateDir(): string {
  return process.env.STEWARD_LOCAL_STATE ?? join(homedir(), ".steward", "local");
}

export function readDaemonInfo(stateDir: string): DaemonInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, "daemon.json"), "utf8")) as DaemonInfo;
  } catch {
    return undefined;
  }
}

/** The running daemon of a state dir, if any. */
export function runningDaemon(stateDir: string): DaemonInfo | undefined {
  const info = readDaemonInfo(stateDir);
  return info && isAlive(info.pid) ? info : undefined;
}

/** Compiled daemon when this runs from dist/, else the TypeScript source through the dev loader. */
function daemonCommand(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const compiled = join(here, "daemon.js");
  if (existsSync(compiled)) return [compiled];
  return ["--experimental-transform-types", "--no-warnings", "--import", join(here, "dev-loader.mjs"), join(here, "daemon.ts")];
}

export interface UpOptions {
  stateDir: string;
  slot?: number;
  /** How many nodes the runtime plays (1..8, default 1). */
  nodes?: number;
  withS3?: boolean;
  withOperator?: boolean;
  /** chart (default): the Helm chart's operator pod; host: a process on the host with the admin kubeconfig. */
  operatorMode?: "chart" | "host";
  backoffBaseMs?: number;
  /** Progress lines from the daemon's log while waiting. */
  progress?: (line: string) => void;
  timeoutMs?: number;
}

/**
 * Starts the daemon detached (its own session, so it outlives the CLI), waits until it reports
 * ready, and returns what it reported; on failure, the error carries the end of its log.
 */
export async function startDaemon(options: UpOptions): Promise<DaemonInfo> {
  const stateDir = resolve(options.stateDir);
  const already = runningDaemon(stateDir);
  if (already) return already;
  mkdirSync(stateDir, { recursive: true });
  const logFile = join(stateDir, "daemon.log");
  const fd = openSync(logFile, "a");
  const logStart = statSync(logFile).size;
  const args = [...daemonCommand(), "--state-dir", stateDir];
  if (options.slot !== undefined) args.push("--slot", String(options.slot));
  if (options.nodes !== undefined) args.push("--nodes", String(options.nodes));
  if (options.withS3 === false) args.push("--no-s3");
  if (options.withOperator) args.push("--operator", "--operator-mode", options.operatorMode ?? "chart");
  if (options.backoffBaseMs !== undefined) args.push("--backoff-base-ms", String(options.backoffBaseMs));
  const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", fd, fd], cwd: stateDir });
  closeSync(fd);
  child.unref();
  let exitCode: number | null = null;
  child.once("exit", (code) => (exitCode = code ?? 1));
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  let shown = logStart;
  while (Date.now() < deadline) {
    const text = readFileSync(logFile, "utf8");
    if (options.progress && text.length > shown) {
      for (const line of text.slice(shown).split("\n").filter(Boolean)) options.progress(line);
      shown = text.length;
    }
    const info = readDaemonInfo(stateDir);
    if (info && info.pid === child.pid) return info;
    if (exitCode !== null) {
      const tail = text.slice(logStart).split("\n").slice(-15).join("\n");
      throw new Error(`the local cluster daemon exited with code ${exitCode}; the end of ${logFile}:\n${tail}`);
    }
    await sleep(250);
  }
  throw new Error(`the local cluster did not report ready in time; see ${logFile}`);
}

/**
 * Stops the daemon (SIGTERM: it stops the cluster and cleans the host), SIGKILL after the
 * timeout (its slot watchdog then cleans). With no daemon left but its slot unowned and dirty,
 * cleans the slot itself. Returns whether a daemon was running.
 */
export async function stopDaemon(stateDir: string, timeoutMs = 90_000): Promise<boolean> {
  const info = readDaemonInfo(resolve(stateDir));
  if (!info) return false;
  const wasRunning = isAlive(info.pid);
  if (wasRunning) {
    process.kill(info.pid, "SIGTERM");
    const deadline = Date.now() + timeoutMs;
    while (isAlive(info.pid) && Date.now() < deadline) await sleep(200);
    if (isAlive(info.pid)) process.kill(info.pid, "SIGKILL");
  }
  // After a kill, the daemon's watchdog holds the slot until it has cleaned up.
  const deadline = Date.now() + 30_000;
  while (info.slot >= 0 && isSlotHeld(info.slot) && slotOwner(info.slot)?.pid === info.pid && Date.now() < deadline) await sleep(200);
  if (info.slot >= 0 && !isSlotHeld(info.slot)) await cleanupSlot(slotLayout(info.slot));
  return wasRunning;
}
