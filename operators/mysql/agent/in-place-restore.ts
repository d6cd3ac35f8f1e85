/**
 * The sidecar's half of an in-place physical restore (the restore Job holds the other half,
 * backup/physical-in-place.ts): the Job reads the chain from S3 and streams each copy here,
 * already decrypted and decompressed; the copies are unpacked and prepared beside the data
 * (the same volume) while the server still runs, fenced. Then, on request:
 * - activate: the server is stopped, the prepared copy takes the data directory's place, and
 *   the server starts on it;
 * - re-seed (the other instances): the server is stopped, its data wiped and copied again from
 *   the restored primary's agent, as a new replica's init step would.
 * start.sh waits while the `hold` marker exists, so the container the kubelet restarts after
 * the shutdown does not start the server on a half-replaced directory.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { MysqlFlavor } from "../../../shared/api/index.js";
import { rootLogger } from "../../../shared/log.js";
import { withConnection } from "../backup/connection.js";
import { loadPhysicalLayer } from "../backup/physical.js";
import { AGENT_PORT, MYSQL_PATHS, STATE_FILES } from "../names.js";
import { seedSql } from "../users.js";
import { fetchSeed } from "./seed-stream.js";

export interface InPlaceRestoreOptions {
  rootPassword: string;
  token: string;
  flavor: MysqlFlavor;
  socket?: string;
  dataDir?: string;
  stateDir?: string;
  pidFile?: string;
  log: (line: string) => void;
  /** How long a stopped server may take to exit, and a started one to answer. */
  timeoutMs?: number;
}

/** Where the copies are unpacked and prepared: beside the data directory, on the same volume, so the switch is a rename. */
function stagingDir(dataDir: string): string {
  return join(dirname(dataDir), "restore");
}

export class InPlaceRestore {
  private readonly dataDir: string;
  private readonly stateDir: string;
  private readonly socket: string;
  private readonly pidFile: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: InPlaceRestoreOptions) {
    this.dataDir = options.dataDir ?? MYSQL_PATHS.dataDir;
    this.stateDir = options.stateDir ?? MYSQL_PATHS.stateDir;
    this.socket = options.socket ?? MYSQL_PATHS.socket;
    this.pidFile = options.pidFile ?? join(MYSQL_PATHS.runDir, "mysqld.pid");
    this.timeoutMs = options.timeoutMs ?? 300_000;
    // A hold left by an agent that died mid-operation would keep the server down for good.
    if (existsSync(this.hold())) {
      rmSync(this.hold(), { force: true });
      options.log("removed a hold marker left by an interrupted restore or re-seed");
    }
  }

  private hold(): string {
    return join(this.stateDir, STATE_FILES.hold);
  }

  /** One copy of the chain (0 = the full base): unpacked and prepared in the staging directory. */
  async receiveLayer(stream: Readable, layer: { index: number; count: number }, signal: AbortSignal): Promise<void> {
    const staging = stagingDir(this.dataDir);
    if (layer.index === 0) rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    rmSync(join(staging, "prepared"), { force: true });
    const log = rootLogger.child({ step: "in-place-restore" });
    await loadPhysicalLayer(stream, { dataDir: join(staging, "data"), workDir: staging, layer, method: "physical", signal, log }, this.options.flavor);
    if (layer.index === layer.count - 1) writeFileSync(join(staging, "prepared"), new Date().toISOString());
    this.options.log(`prepared copy ${layer.index + 1} of ${layer.count} for an in-place restore`);
  }

  /** Stops the server, puts the prepared copy in place of its data, starts it again. */
  async activate(): Promise<void> {
    const staging = stagingDir(this.dataDir);
    if (!existsSync(join(staging, "prepared"))) throw new Error("no prepared copy to restore: send every copy of the chain first");
    await this.stopServer();
    try {
      const replaced = join(staging, "replaced");
      renameSync(this.dataDir, replaced);
      renameSync(join(staging, "data"), this.dataDir);
      rmSync(staging, { recursive: true, force: true });
      this.options.log("replaced the data directory with the restored copy");
    } finally {
      rmSync(this.hold(), { force: true });
    }
    await this.waitForServer();
  }

  /** Stops the server, wipes its data and copies the primary's (`from`: the primary's agent host), then starts it. */
  async reseedFrom(from: string, signal: AbortSignal): Promise<string> {
    // If this agent dies half-way, the next start of the pod copies again (the init step's re-seed).
    writeFileSync(join(this.stateDir, STATE_FILES.reseed), new Date().toISOString());
    await this.stopServer();
    try {
      for (const entry of readdirSync(this.dataDir)) rmSync(join(this.dataDir, entry), { recursive: true, force: true });
      const gtid = await fetchSeed(`http://${from}:${AGENT_PORT}/v1/mysql/seed`, this.options.token, this.dataDir, signal);
      writeFileSync(join(this.stateDir, STATE_FILES.seedSql), seedSql(gtid), { mode: 0o600 });
      rmSync(join(this.stateDir, STATE_FILES.reseed), { force: true });
      this.options.log(`copied the restored primary's data from ${from}; replication starts at GTID ${gtid || "(empty)"}`);
      return gtid;
    } finally {
      rmSync(this.hold(), { force: true });
      await this.waitForServer().catch(() => undefined);
    }
  }

  private endpoint() {
    return { host: "localhost", port: 0, socket: this.socket, username: "root", password: this.options.rootPassword };
  }

  /**
   * SHUTDOWN over the socket, then wait for the pid file to go: mariadbd removes it last, after
   * InnoDB closed its files (the socket closes earlier, while InnoDB still writes).
   */
  private async stopServer(): Promise<void> {
    writeFileSync(this.hold(), new Date().toISOString());
    await withConnection(this.endpoint(), (connection) => connection.query("SHUTDOWN")).catch((error: unknown) => {
      // The server closing the connection while it answers is the expected end.
      if (!/closed|ECONNRESET|PROTOCOL_CONNECTION_LOST/i.test((error as Error).message)) throw error;
    });
    const deadline = Date.now() + this.timeoutMs;
    while (existsSync(this.pidFile) || existsSync(this.socket)) {
      if (Date.now() > deadline) throw new Error(`the server did not stop within ${this.timeoutMs / 1000} s after SHUTDOWN`);
      await sleep(500);
    }
    this.options.log("stopped the server");
  }

  private async waitForServer(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const up = await withConnection(this.endpoint(), (connection) => connection.query("SELECT 1")).then(() => true, () => false);
      if (up) return;
      if (Date.now() > deadline) throw new Error(`the server did not answer within ${this.timeoutMs / 1000} s after it was restarted`);
      await sleep(1000);
    }
  }
}
