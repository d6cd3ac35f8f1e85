import { AsyncLocalStorage } from "node:async_hooks";
import { Option, type Command } from "commander";

/**
 * Exit codes every command keeps, so scripts can tell "it failed" from "you typed it wrong",
 * "it is not there" and "it is still running". Documented in README.md and `steward --help`.
 */
export const EXIT_CODES = { ok: 0, failed: 1, usage: 2, notFound: 3, timedOut: 4 } as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export const EXIT_CODES_HELP = "\nExit codes: 0 ok, 1 failed, 2 usage (bad flags or arguments), 3 not found, 4 timed out (what was started keeps running).\n";

/** An error whose message is for the person at the terminal, with the exit code it means. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT_CODES.failed,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_CODES.usage);
  }
}

export class NotFoundError extends CliError {
  constructor(message: string) {
    super(message, EXIT_CODES.notFound);
  }
}

export class TimedOutError extends CliError {
  constructor(message: string) {
    super(message, EXIT_CODES.timedOut);
  }
}

/** The exit code an error thrown by a command means. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  // By shape, not instanceof: importing shared/k8s/errors (zod) here would put ~18 MiB into every
  // CLI process, the in-pod agents included.
  if (error instanceof Error && error.name === "KubeApiError" && (error as Error & { statusCode?: number }).statusCode === 404) return EXIT_CODES.notFound;
  return EXIT_CODES.failed;
}

export interface TextOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Where a command writes and what it reads of its surroundings; tests run the CLI in-process with their own. */
export interface CliIo {
  stdout: TextOutput;
  stderr: TextOutput;
  env: Readonly<Record<string, string | undefined>>;
  now(): Date;
  /** Milliseconds between two polls of something followed. */
  pollMs: number;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, now: () => new Date(), pollMs: 1000 };
}

const current = new AsyncLocalStorage<CliIo>();

/** The io of the CLI run this code is part of (process.stdout and friends outside a run). */
export function cliIo(): CliIo {
  return current.getStore() ?? processIo();
}

export function withIo<T>(io: CliIo, run: () => Promise<T>): Promise<T> {
  return current.run(io, run);
}

/** Every message ends with a newline, whatever the caller passed. */
function line(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

export function printOut(text: string): void {
  cliIo().stdout.write(line(text));
}

export function printErr(text: string): void {
  cliIo().stderr.write(line(text));
}

/**
 * Colour and redrawn progress lines only for a person at a terminal: not when the stream is a
 * pipe or file, not with NO_COLOR (https://no-color.org) set, not on TERM=dumb.
 */
export function isInteractive(stream: TextOutput, env: CliIo["env"] = cliIo().env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== "dumb";
}

const COLOURS = { red: 31, green: 32, yellow: 33, dim: 2 } as const;

export function paint(text: string, colour: keyof typeof COLOURS, stream: TextOutput = cliIo().stdout): string {
  return isInteractive(stream) ? `\x1b[${COLOURS[colour]}m${text}\x1b[0m` : text;
}

/** A phase in the colour that says good, in progress or bad. */
export function paintPhase(phase: string, stream?: TextOutput): string {
  if (["Ready", "Completed", "Verified", "True"].includes(phase)) return paint(phase, "green", stream);
  if (["Failed", "VerificationFailed"].includes(phase)) return paint(phase, "red", stream);
  if (["Degraded", "Pending", "Running", "Provisioning", "Restoring", "Verifying"].includes(phase)) return paint(phase, "yellow", stream);
  return phase;
}

export const OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function outputOption(command: Command): Command {
  return command.addOption(new Option("-o, --output <format>", "output format").choices(OUTPUT_FORMATS).default("table"));
}

/** Columns padded to the widest cell, three spaces apart, as kubectl prints them. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)));
  const render = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join("   ").trimEnd();
  return [render(headers), ...rows.map(render)].join("\n");
}
