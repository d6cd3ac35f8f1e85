/** One line, rewritten in place on a terminal (a new line per update otherwise): phase, bytes, rate, a bar when the total is known. */
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

export function progressLine(input: { phase: string; bytes?: number; totalBytes?: number; bytesPerSecond?: number; width?: number }): string {
  const width = input.width ?? 30;
  const parts = [input.phase.padEnd(9)];
  if (input.totalBytes && input.bytes !== undefined) {
    const fraction = Math.max(0, Math.min(1, input.bytes / input.totalBytes));
    const filled = Math.round(fraction * width);
    parts.push(`[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`);
  }
  if (input.bytes !== undefined) parts.push(formatBytes(input.bytes) + (input.totalBytes ? ` / ${formatBytes(input.totalBytes)}` : ""));
  if (input.bytesPerSecond) parts.push(`${formatBytes(input.bytesPerSecond)}/s`);
  return parts.join("  ");
}

export class ProgressPrinter {
  private last = "";
  private lastBytes = 0;
  private lastAt = Date.now();
  private rate = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(phase: string, bytes?: number, totalBytes?: number): void {
    const now = Date.now();
    if (bytes !== undefined && bytes !== this.lastBytes && now > this.lastAt) {
      this.rate = ((bytes - this.lastBytes) * 1000) / (now - this.lastAt);
      this.lastBytes = bytes;
      this.lastAt = now;
    }
    const line = progressLine({ phase, bytes, totalBytes, bytesPerSecond: this.rate || undefined });
    if (line === this.last) return;
    this.last = line;
    if (this.stream.isTTY) this.stream.write(`\r${line}\x1b[K`);
    else this.stream.write(`${line}\n`);
  }

  done(): void {
    if (this.stream.isTTY && this.last) this.stream.write("\n");
  }
}
