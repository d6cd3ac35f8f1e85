/**
 * Loading an RDB into a running server without touching its files: the agent acts as a primary
 * for one full resynchronisation. It listens on a port, tells the server `REPLICAOF <agent>`,
 * answers the handshake (PING, AUTH, REPLCONF) and `PSYNC` with `+FULLRESYNC` and the RDB as
 * a diskless transfer (`$EOF:<mark>` ... `<mark>`: no length needed up front, so it streams),
 * waits until the server has loaded it, and tells it `REPLICAOF NO ONE`. The server replaces
 * its whole dataset, exactly as a replica does on a full copy; its own replicas then copy the
 * result from it. This is Redis' own replication protocol, so nothing here parses the RDB.
 *
 * While it runs the server is a replica: it refuses writes (READONLY). The caller fences the
 * cluster around it (pauses the operator's failover and closes clients), see README.md.
 */
import { randomBytes } from "node:crypto";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import type { EngineEndpoint } from "../../../backup/engine-backup.js";
import { parseInfo } from "../info.js";
import { connectWithReason, tlsOptions } from "./connection.js";

const CONNECT_BACK_MS = 30_000;

export interface FeedOptions {
  /** The address the server can reach this process at; default the local address of our connection to it. */
  listenHost?: string;
  signal: AbortSignal;
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** Reads RESP arrays of bulk strings (what a replica sends) and hands each command to `handle`. */
function commandReader(handle: (args: string[]) => void): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (buffer.length === 0) return;
      if (buffer[0] !== 0x2a) {
        // Inline command (a bare newline keepalive, or "PING\r\n").
        const end = buffer.indexOf("\r\n");
        if (end < 0) return;
        const line = buffer.toString("latin1", 0, end).trim();
        buffer = buffer.subarray(end + 2);
        if (line) handle(line.split(/\s+/));
        continue;
      }
      let at = buffer.indexOf("\r\n");
      if (at < 0) return;
      const count = Number(buffer.toString("latin1", 1, at));
      let position = at + 2;
      const args: string[] = [];
      for (let index = 0; index < count; index++) {
        at = buffer.indexOf("\r\n", position);
        if (at < 0) return;
        const length = Number(buffer.toString("latin1", position + 1, at));
        if (at + 2 + length + 2 > buffer.length) return;
        args.push(buffer.toString("latin1", at + 2, at + 2 + length));
        position = at + 2 + length + 2;
      }
      buffer = buffer.subarray(position);
      handle(args);
    }
  };
}

/** Serves one replica: handshake, then the RDB. Resolves with the link, which must stay open until the load is over. */
async function serveOnce(server: Server, rdb: Readable, replid: string, log: (line: string) => void): Promise<Socket> {
  const socket = await new Promise<Socket>((resolve) => server.once("connection", resolve));
  server.close();
  socket.setNoDelay(true);
  return new Promise<Socket>((resolve, reject) => {
    let started = false;
    socket.once("error", reject);
    socket.on(
      "data",
      commandReader((args) => {
        // After PSYNC the replica only sends REPLCONF ACK, which a primary never answers.
        if (started) return;
        const command = args[0]?.toUpperCase();
        if (command === "PING") socket.write("+PONG\r\n");
        else if (command === "AUTH" || command === "REPLCONF") socket.write("+OK\r\n");
        else if ((command === "PSYNC" || command === "SYNC") && !started) {
          started = true;
          const mark = randomBytes(20).toString("hex");
          log(`streaming the RDB to ${socket.remoteAddress} as a full resynchronisation`);
          socket.write(command === "PSYNC" ? `+FULLRESYNC ${replid} 0\r\n$EOF:${mark}\r\n` : `$EOF:${mark}\r\n`);
          pipeline(rdb, socket, { end: false })
            .then(() => socket.write(mark, (error) => (error ? reject(error) : resolve(socket))))
            .catch(reject);
        }
      }),
    );
  });
}

async function replicationOverTls(redis: Redis): Promise<boolean> {
  const reply = (await redis.call("CONFIG", "GET", "tls-replication")) as string[];
  return reply[1] === "yes";
}

/** Loads `rdb` into the server at `endpoint` (see the file comment). */
export async function loadThroughReplication(rdb: Readable, endpoint: EngineEndpoint, options: FeedOptions): Promise<void> {
  const log = options.log ?? (() => undefined);
  const redis = new Redis({ host: endpoint.host, port: endpoint.port, ...tlsOptions(endpoint), username: endpoint.username, password: endpoint.password, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  redis.on("error", () => undefined);
  await connectWithReason(redis, `${endpoint.host}:${endpoint.port}`);
  const server = createServer();
  let link: Socket | undefined;
  let tlsReplication = false;
  try {
    const listenHost = options.listenHost ?? redis.stream.localAddress;
    if (!listenHost) throw new Error("could not tell which address the server can reach this process at; set listenHost");
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, listenHost, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const replid = randomBytes(20).toString("hex");
    const served = serveOnce(server, rdb, replid, log);
    served.catch(() => undefined);
    await redis.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
    // This feed speaks plaintext replication: a server replicating over TLS is switched to
    // plaintext for this one copy and back after it (not yet: the feed serving TLS itself).
    tlsReplication = await replicationOverTls(redis);
    if (tlsReplication) await redis.call("CONFIG", "SET", "tls-replication", "no");
    await redis.replicaof(listenHost, port);
    const timer = new AbortController();
    const connectBack = sleep(CONNECT_BACK_MS, undefined, { signal: AbortSignal.any([timer.signal, options.signal]) }).then(() => {
      throw new Error(`${endpoint.host} did not connect back to ${listenHost}:${port} within ${CONNECT_BACK_MS / 1000}s to fetch the data (is this pod reachable from it?)`);
    });
    connectBack.catch(() => undefined);
    try {
      link = await Promise.race([served, connectBack]);
    } finally {
      timer.abort();
    }
    // The server loads what it received; done when its link is up on the history we gave it.
    const deadline = Date.now() + (options.timeoutMs ?? 3_600_000);
    for (;;) {
      options.signal.throwIfAborted();
      const facts = parseInfo(await redis.info("replication", "persistence"));
      if (facts.linkUp && !facts.loading && !facts.syncInProgress && facts.replid === replid) break;
      if (Date.now() > deadline) throw new Error(`${endpoint.host} did not finish loading the RDB in time`);
      await sleep(100);
    }
    await redis.replicaof("NO", "ONE");
    log(`${endpoint.host} loaded the RDB and takes writes again`);
  } finally {
    if (tlsReplication) await redis.call("CONFIG", "SET", "tls-replication", "yes").catch(() => undefined);
    server.close();
    link?.destroy();
    redis.disconnect();
  }
}
