import type { Readable } from "node:stream";
import type { EngineEndpoint } from "../../../backup/engine-backup.js";
import { ToolError, runTool, type ToolRun } from "../../../backup/tool-process.js";
import type { Logger } from "../../../shared/log.js";
import type { MysqlFlavor } from "../../../shared/api/index.js";
import { buildLoadCommand, toolEnvironment } from "./dump-command.js";
import { DumpSplitter, type DumpPiece } from "./dump-splitter.js";

/** Clients loading at once (STEWARD_RESTORE_CONNECTIONS overrides): 3 kept 2 cores busy best here. */
export const DEFAULT_LOAD_CLIENTS = 3;

export interface ParallelLoadOptions {
  endpoint: EngineEndpoint;
  flavor: MysqlFlavor;
  clients?: number;
  signal: AbortSignal;
  log: Logger;
}

const EXITED_EARLY = "exited before the dump's end";

/**
 * One of the flavour's clients, fed through stdin, that can say when it has run everything it
 * was sent: a `SELECT '<marker>'` comes back on stdout (--unbuffered) once every statement
 * before it ran.
 */
class ClientFeed {
  private readonly tool: ToolRun;
  private output = "";
  private waiting?: { marker: string; resolve: () => void };
  private markers = 0;
  /** Written to since its last sync. */
  private dirty = false;
  readonly exited: Promise<void>;
  private readonly gone: Promise<never>;

  constructor(
    readonly id: number,
    flavor: MysqlFlavor,
    endpoint: EngineEndpoint,
    signal: AbortSignal,
  ) {
    const { command, args } = buildLoadCommand(flavor, endpoint);
    this.tool = runTool(command, [...args, "--unbuffered", "--skip-column-names"], { env: toolEnvironment(endpoint), signal, stdin: "pipe", stdout: "pipe", redact: [endpoint.password ?? ""] });
    this.exited = this.tool.exited;
    this.gone = this.exited.then(() => Promise.reject(new Error(`${command} ${EXITED_EARLY}`)));
    this.gone.catch(() => undefined);
    this.tool.input!.on("error", () => undefined); // a client that exited: `exited` says why
    this.tool.output!.setEncoding("latin1");
    this.tool.output!.on("data", (text: string) => {
      this.output = (this.output + text).slice(-256);
      if (this.waiting && this.output.includes(this.waiting.marker)) {
        const { resolve } = this.waiting;
        this.waiting = undefined;
        this.output = "";
        resolve();
      }
    });
    this.tool.output!.on("error", () => undefined);
  }

  /** Room in its pipe now (a client busy with a statement stops reading). */
  get ready(): boolean {
    return !this.tool.input!.writableNeedDrain;
  }

  drained(): Promise<void> {
    const input = this.tool.input!;
    if (!input.writableNeedDrain) return Promise.resolve();
    return Promise.race([new Promise<void>((resolve) => input.once("drain", () => resolve())), this.gone]);
  }

  /** Queues bytes in its pipe; resolves when the pipe has room again. */
  async write(...buffers: Buffer[]): Promise<void> {
    this.queue(...buffers);
    await this.drained();
  }

  queue(...buffers: Buffer[]): void {
    for (const bytes of buffers) this.tool.input!.write(bytes);
    this.dirty = true;
  }

  /** Resolves once the client ran everything written so far. */
  async sync(): Promise<void> {
    if (!this.dirty) return;
    const marker = `steward-loaded-${this.id}-${++this.markers}`;
    const reached = new Promise<void>((resolve) => (this.waiting = { marker, resolve }));
    this.tool.input!.write(`SELECT '${marker}';\n`);
    await Promise.race([reached, this.gone]);
    this.dirty = false;
  }

  async end(): Promise<void> {
    this.tool.input!.end();
    await this.exited;
  }

  kill(): void {
    this.tool.child.kill("SIGTERM");
  }
}

/**
 * Loads a dump with several of the flavour's clients at once: the first runs the structure in
 * order (DumpSplitter says what is structure), and a table's rows are spread over all of them
 * once its CREATE TABLE ran; the next statement of the structure waits until they all finished.
 * A table whose rows are a single INSERT goes to the first client alone, so small tables cost
 * no waiting. Same result as `mariadb < dump.sql`: every byte goes to a client unchanged, and
 * every client runs the dump's session settings (SET NAMES, TIME_ZONE, SQL_MODE, checks off,
 * USE) in the same order relative to the rows.
 */
export async function loadDumpInParallel(stream: Readable, options: ParallelLoadOptions): Promise<{ clients: number; tablesSpread: number }> {
  const count = Math.max(1, options.clients ?? (Number(process.env.STEWARD_RESTORE_CONNECTIONS) || DEFAULT_LOAD_CLIENTS));
  const first = new ClientFeed(0, options.flavor, options.endpoint, options.signal);
  const clients = [first];
  /** For clients started later; none are kept once all have started. */
  const sessionSettings: Buffer[] = [];
  const splitter = new DumpSplitter();
  /** A table's first INSERT, held until we know whether more follow. */
  let held: Buffer[] | undefined;
  let runOpen = false;
  let spread = 0;
  let next = 0;

  const client = (): ClientFeed => {
    if (clients.length < count) {
      const added = new ClientFeed(clients.length, options.flavor, options.endpoint, options.signal);
      // Each client's pipe is in order: the settings so far, then its share of the rows.
      added.queue(...sessionSettings);
      clients.push(added);
      return added;
    }
    return clients[next++ % clients.length]!;
  };
  const sendRows = async (statement: Buffer[]) => {
    let target = client();
    if (!target.ready) {
      await Promise.race(clients.map((candidate) => candidate.drained()));
      target = clients.find((candidate) => candidate.ready) ?? target;
    }
    await target.write(...statement);
  };
  const closeRun = async () => {
    if (held) {
      await first.write(...held);
      held = undefined;
    }
    if (!runOpen) return;
    await Promise.all(clients.slice(1).map((other) => other.sync()));
    runOpen = false;
  };
  const handle = async (piece: DumpPiece) => {
    switch (piece.to) {
      case "rows":
        if (!runOpen && !held) {
          held = piece.parts;
          return;
        }
        if (!runOpen) {
          // The table's CREATE TABLE (and everything before it) must have run.
          await first.sync();
          runOpen = true;
          spread++;
          await sendRows(held!);
          held = undefined;
        }
        await sendRows(piece.parts);
        return;
      case "client-rows":
        // An INSERT too large to hold: the first client runs it, beside the others' rows.
        if (held) await closeRun();
        await first.write(piece.bytes);
        return;
      case "session":
        await closeRun();
        if (clients.length < count) sessionSettings.push(piece.bytes);
        await Promise.all(clients.map((each) => each.write(piece.bytes)));
        return;
      case "client":
        await closeRun();
        await first.write(piece.bytes);
    }
  };

  try {
    for await (const chunk of stream) for (const piece of splitter.push(chunk as Buffer)) await handle(piece);
    for (const piece of splitter.end()) await handle(piece);
    await closeRun();
    await Promise.all(clients.map((each) => each.end()));
    options.log.info({ clients: clients.length, tablesSpread: spread }, "Loaded the dump");
    return { clients: clients.length, tablesSpread: spread };
  } catch (error) {
    for (const each of clients) each.kill();
    // A client's own failure (a SQL error) explains the broken pipe and the stopped stream.
    const exits = await Promise.all(clients.map((each) => each.exited.then(() => undefined, (failed: unknown) => failed)));
    const failed = exits.find((exit) => exit instanceof ToolError && !exit.killed);
    throw failed ?? error;
  }
}
