import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A long-running child of the local cluster (etcd, kube-apiserver, the S3 server...).
 * Output goes to <logDir>/<name>.log; the pid is recorded in <pidDir>/<name>.pid so
 * that the next `up` after a crash can find and stop what the crashed one left.
 * Children get a parent-death signal, so killing their owner never leaves them running.
 */
export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logDir: string;
  pidDir: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function startProcess(options: StartOptions): ManagedProcess {
  mkdirSync(options.logDir, { recursive: true });
  mkdirSync(options.pidDir, { recursive: true });
  const logFile = join(options.logDir, `${options.name}.log`);
  const fd = openSync(logFile, "a");
  // setpriv --pdeathsig: the kernel kills the child when this process dies, even by SIGKILL.
  const child = spawn("setpriv", ["--pdeathsig", "SIGKILL", "--", options.command, ...options.args], {
    stdio: ["ignore", fd, fd],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  closeSync(fd);
  const pidFile = join(options.pidDir, `${options.name}.pid`);
  if (child.pid) writeFileSync(pidFile, `${child.pid}\n`);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : null)));
    child.once("error", () => resolve(127));
  });
  let stopping: Promise<void> | undefined;
  return {
    name: options.name,
    child,
    logFile,
    exited,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
          if (timedOut) {
            child.kill("SIGKILL");
            await exited;
          }
        }
        rmSync(pidFile, { force: true });
      })();
      return stopping;
    },
  };
}

/** Stops processes a previous run recorded in pidDir and that still run (after a crash of their owner). */
export async function stopRecordedProcesses(pidDir: string): Promise<string[]> {
  if (!existsSync(pidDir)) return [];
  const stopped: string[] = [];
  const { readdirSync } = await import("node:fs");
  for (const file of readdirSync(pidDir)) {
    if (!file.endsWith(".pid")) continue;
    const pid = Number(readFileSync(join(pidDir, file), "utf8").trim());
    if (pid > 1 && isAlive(pid)) {
      try {
        process.kill(pid, "SIGKILL");
        stopped.push(file.replace(/\.pid$/, ""));
      } catch {
        // it exited between the check and the kill
      }
    }
    rmSync(join(pidDir, file), { force: true });
  }
  return stopped;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Polls until check resolves true, or throws with the description after timeoutMs. */
export async function waitFor(description: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  const cause = lastError instanceof Error ? `: ${lastError.message}` : "";
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
}
