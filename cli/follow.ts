import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { parseDuration } from "../shared/api/index.js";
import { cliIo, NotFoundError, TimedOutError, UsageError } from "./output.js";
import { ProgressPrinter, formatDuration, type ProgressState } from "./progress.js";

/** The flags of every command that starts something which runs on (a backup, a restore): the same words everywhere. */
export interface FollowFlags {
  wait?: boolean;
  follow: boolean;
  timeout?: string;
}

export function followOptions(command: Command): Command {
  return command
    .option("--wait", "wait until it finishes, showing progress (the default)")
    .option("--no-follow", "create it and return at once")
    .option("--timeout <duration>", "stop waiting after this long, e.g. 90s, 30m, 2h (exit code 4; it keeps running)");
}

/** Whether to follow, and for how long at most; refuses flags that contradict each other. */
export function followPlan(flags: FollowFlags): { follow: boolean; timeoutMs?: number } {
  if (flags.wait && !flags.follow) throw new UsageError("--wait and --no-follow contradict each other: give one");
  if (flags.timeout && !flags.follow) throw new UsageError("--timeout needs waiting: drop --no-follow");
  let timeoutMs: number | undefined;
  try {
    timeoutMs = flags.timeout ? parseDuration(flags.timeout) : undefined;
  } catch (error) {
    throw new UsageError(`--timeout: ${(error as Error).message}`);
  }
  return { follow: flags.follow, timeoutMs };
}

const TERMINAL = new Set(["Completed", "Failed"]);

/**
 * Polls a resource until its phase is terminal, printing progress to stderr (stdout stays
 * for the result); resolves with the last object. Past the timeout it throws (exit code 4).
 */
export async function follow<T>(what: string, read: () => Promise<T | undefined>, view: (object: T) => ProgressState, timeoutMs?: number): Promise<T> {
  const io = cliIo();
  // Elapsed time is the machine's (io.now is the clock shown to the reader, fixed in tests).
  const printer = new ProgressPrinter(io.stderr);
  const started = Date.now();
  try {
    for (;;) {
      const object = await read();
      if (!object) throw new NotFoundError(`${what} was deleted while it was followed`);
      const state = view(object);
      printer.update(state);
      if (TERMINAL.has(state.phase)) return object;
      if (timeoutMs !== undefined && Date.now() - started >= timeoutMs) {
        throw new TimedOutError(`${what} is still ${state.phase} after ${formatDuration(timeoutMs)}; it keeps running (follow it with steward status, or kubectl get dbb,dbr)`);
      }
      await sleep(io.pollMs);
    }
  } finally {
    printer.done();
  }
}
