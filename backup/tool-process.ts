import { spawn, type ChildProcess } from "node:child_process";
import { Transform, type Readable, type Writable } from "node:stream";

/**
 * Engine tools (mariadb-dump, redis-cli, mongodump) run as child processes. Their output is
 * only good if they exit 0, and stdout ends before the exit status is known: a dump cut short
 * by a failure would look like a complete, smaller dump. So the stream handed on holds its end
 * back until the process has exited, and fails instead of ending when the exit was not clean;
 * the upload reading it then aborts rather than completing a truncated object.
 */
export class ToolError extends Error {
  override readonly name = "ToolError";
  constructor(
    message: string,
    readonly tool: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    /** Killed by a signal: usually by us, because whoever read its output gave up first. */
    readonly killed = false,
  ) {
    super(message);
  }
}

export interface ToolRun {
  child: ChildProcess;
  /** Resolves when the tool exited 0; rejects with a ToolError (exit status and the end of stderr). */
  exited: Promise<void>;
  /** stdout that errors instead of ending when the tool fails (only when stdout was piped). */
  output?: Readable;
  /** stdin (only when asked for). */
  input?: Writable;
  stderrTail(): string;
}

export interface ToolOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  stdin?: "pipe" | "ignore";
  stdout?: "pipe" | "ignore";
  /** Secrets passed to the tool in its environment; replaced by *** if the tool echoes them. */
  redact?: string[];
}

const STDERR_TAIL_BYTES = 4096;

export function runTool(command: string, args: string[], options: ToolOptions = {}): ToolRun {
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    stdio: [options.stdin ?? "ignore", options.stdout ?? "pipe", "pipe"],
    signal: options.signal,
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (text: string) => {
    stderr = (stderr + text).slice(-STDERR_TAIL_BYTES);
  });
  const tail = () => {
    let text = stderr.trim();
    for (const secret of options.redact ?? []) if (secret) text = text.split(secret).join("***");
    return text;
  };
  const exited = new Promise<void>((resolve, reject) => {
    child.once("error", (error) => reject(new ToolError(`${command} could not run: ${error.message}`, command, null, "")));
    child.once("close", (code, signal) => {
      if (code === 0) resolve();
      else {
        const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
        const text = tail();
        reject(new ToolError(`${command} ${how}${text ? `: ${text.split("\n").slice(-3).join(" | ")}` : ""}`, command, code, text, code === null));
      }
    });
  });
  exited.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
  let output: Readable | undefined;
  if (child.stdout) {
    const gate = new Transform({
      transform(chunk, _encoding, callback) {
        callback(null, chunk);
      },
      flush(callback) {
        exited.then(() => callback(), (error: Error) => callback(error));
      },
    });
    child.stdout.on("error", (error) => gate.destroy(error));
    output = child.stdout.pipe(gate);
    // The consumer giving up (e.g. S3 down) must stop the tool, not leave it blocked on a full
    // pipe. After a normal end the tool has exited already (flush waits for it).
    gate.once("close", () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    });
  }
  return { child, exited, output, input: child.stdin ?? undefined, stderrTail: tail };
}
