/**
 * A private redis-server for verifying a backup (backup/agent verify): data in `workDir` (the
 * verification Job's emptyDir), no persistence, listening on a free loopback port only, with
 * a generated password in a config file (mode 600), never in its arguments. The backup is
 * loaded into it online (replication-feed.ts), then checksummed.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import type { EngineEndpoint, ThrowawayInstance } from "../../../backup/engine-backup.js";
import type { Logger } from "../../../shared/log.js";
import { generatePassword } from "../../../shared/secrets.js";

const HOST = "127.0.0.1";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startThrowawayRedis(workDir: string, log: Logger): Promise<ThrowawayInstance> {
  const dataDir = join(workDir, "redis");
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const password = generatePassword();
  const configFile = join(workDir, "throwaway-redis.conf");
  writeFileSync(configFile, [`bind ${HOST}`, `port ${port}`, "daemonize no", `dir ${dataDir}`, 'save ""', "appendonly no", 'logfile ""', `user default on >${password} ~* &* +@all`, ""].join("\n"), { mode: 0o600 });
  const child = spawn("redis-server", [configFile], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const endpoint: EngineEndpoint = { host: HOST, port, username: "default", password };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the throwaway redis-server exited while starting: ${output.trim().split("\n").slice(-3).join(" | ")}`);
    const probe = new Redis({ host: HOST, port, username: "default", password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableReadyCheck: false });
    probe.on("error", () => undefined);
    const up = await probe.connect().then(() => probe.ping()).then(() => true, () => false);
    probe.disconnect();
    if (up) break;
    if (Date.now() > deadline) throw new Error("the throwaway redis-server did not accept connections within 30 s");
    await sleep(100);
  }
  log.info({ port }, "Started a throwaway redis-server");
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGKILL");
      await exited;
    },
  };
}
