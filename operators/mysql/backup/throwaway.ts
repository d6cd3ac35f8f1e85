import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import type { EngineEndpoint, ThrowawayInstance } from "../../../backup/engine-backup.js";
import type { Logger } from "../../../shared/log.js";
import { runTool } from "../../../backup/tool-process.js";

/**
 * A private mariadbd for verifying a backup: data in `workDir` (the verification Job's
 * emptyDir), reachable only through a Unix socket there (no TCP port), binary logging off,
 * small buffers. Gone with the Job's pod.
 */
export async function startThrowawayMariaDb(workDir: string, log: Logger, restoredData = false): Promise<ThrowawayInstance> {
  return startPrivateMariaDb({ dataDir: throwawayDataDir(workDir), runDir: workDir, log, restoredData });
}

export function throwawayDataDir(workDir: string): string {
  return join(workDir, "data");
}

/**
 * A mariadbd only this process can reach (Unix socket, no networking), on a fresh data
 * directory. The OS user running it gets a passwordless unix_socket account from
 * mariadb-install-db: that is who connects. On `restoredData` (a prepared physical copy, whose
 * accounts are the source cluster's) nothing is installed and the grant tables are skipped:
 * no network, the socket in a private folder, so only this process reaches it.
 */
export async function startPrivateMariaDb(options: { dataDir: string; runDir: string; log: Logger; restoredData?: boolean }): Promise<ThrowawayInstance> {
  const { dataDir, runDir, log } = options;
  const workDir = runDir;
  const socket = join(runDir, "restore-mysqld.sock");
  const user = userInfo().username;
  // Temporary tables under runDir too: /tmp may be shared (the local cluster's pods share the host's).
  const tmpDir = join(runDir, "restore-tmp");
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(tmpDir, { recursive: true });
  const asRoot = [`--user=${user}`];
  if (!options.restoredData) await runTool("mariadb-install-db", ["--no-defaults", `--datadir=${dataDir}`, ...asRoot, "--auth-root-authentication-method=socket", "--skip-test-db"], { stdout: "ignore", env: { ...process.env, TMPDIR: tmpDir } }).exited;
  const child = spawn(
    "mariadbd",
    [
      "--no-defaults",
      ...asRoot,
      `--datadir=${dataDir}`,
      `--socket=${socket}`,
      `--pid-file=${join(workDir, "restore-mysqld.pid")}`,
      `--tmpdir=${tmpDir}`,
      "--skip-networking",
      "--skip-log-bin",
      "--innodb-buffer-pool-size=128M",
      "--innodb-flush-log-at-trx-commit=0",
      "--max-allowed-packet=1G",
      ...(options.restoredData ? ["--skip-grant-tables"] : []),
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const endpoint: EngineEndpoint = { host: "localhost", port: 0, socket, username: user };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the throwaway mariadbd exited while starting: ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
    const probe = runTool("mariadb", ["--no-defaults", `--socket=${socket}`, `--user=${user}`, "-e", "SELECT 1"], { stdout: "ignore" });
    if (await probe.exited.then(() => true, () => false)) break;
    if (Date.now() > deadline) throw new Error("the throwaway mariadbd did not accept connections within 60 s");
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  log.info({ socket }, "Started a throwaway mariadbd");
  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
