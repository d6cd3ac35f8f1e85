import { isInteractive, type TextOutput } from "./output.js";

/** One line, rewritten in place on a terminal (a new line per change otherwise): phase, bytes, rate, a bar and an estimate when the total is known. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** 45s, 12m05s, 3h20m: precise enough for "how long is left", short enough for a progress line. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(seconds / 86400)}d${String(Math.floor((seconds % 86400) / 3600)).padStart(2, "0")}h`;
}

export interface ProgressState {
  phase: string;
  bytes?: number;
  /** Known total (a restore knows its backup's size). */
  totalBytes?: number;
  /** A guess at the total when none is known (a backup: the previous backup's size); shown with "~". */
  expectedBytes?: number;
}

export function progressLine(input: ProgressState & { bytesPerSecond?: number; width?: number }): string {
  const width = input.width ?? 30;
  const parts = [input.phase.padEnd(9)];
  const total = input.totalBytes ?? input.expectedBytes;
  if (input.totalBytes && input.bytes !== undefined) {
    const fraction = Math.max(0, Math.min(1, input.bytes / input.totalBytes));
    const filled = Math.round(fraction * width);
    parts.push(`[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`);
  }
  if (input.bytes !== undefined) parts.push(formatBytes(input.bytes) + (input.totalBytes ? ` / ${formatBytes(input.totalBytes)}` : input.expectedBytes ? ` / ~${formatBytes(input.expectedBytes)}` : ""));
  if (input.bytesPerSecond) parts.push(`${formatBytes(input.bytesPerSecond)}/s`);
  if (input.bytesPerSecond && total && input.bytes !== undefined && input.bytes < total) {
    parts.push(`${input.totalBytes ? "" : "~"}${formatDuration(((total - input.bytes) / input.bytesPerSecond) * 1000)} left`);
  }
  return parts.join("  ");
}

export class ProgressPrinter {
  private last = "";
  private lastBytes = 0;
  private lastAt: number;
  private rate = 0;
  private readonly redraw: boolean;

  constructor(private readonly stream: TextOutput) {
    this.redraw = isInteractive(stream);
    this.lastAt = Date.now();
  }

  update(state: ProgressState): void {
    const now = Date.now();
    if (state.bytes !== undefined && state.bytes !== this.lastBytes && now > this.lastAt) {
      this.rate = ((state.bytes - this.lastBytes) * 1000) / (now - this.lastAt);
      this.lastBytes = state.bytes;
      this.lastAt = now;
    }
    const line = progressLine({ ...state, bytesPerSecond: this.rate > 0 ? this.rate : undefined });
    if (line === this.last) return;
    this.last = line;
    if (this.redraw) this.stream.write(`\r${line}\x1b[K`);
    else this.stream.write(`${line}\n`);
  }

  done(): void {
    if (this.redraw && this.last) this.stream.write("\n");
  }
}
