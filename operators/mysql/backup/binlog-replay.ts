import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ArchivedSegment, ReplayOptions } from "../../../backup/engine-backup.js";
import type { BackupPosition } from "../../../backup/manifest.js";
import { runTool } from "../../../backup/tool-process.js";
import { mergeGtidLists, parseGtidList } from "./binlog-scanner.js";
import { buildLoadCommand, toolEnvironment } from "./dump-command.js";

/**
 * The binlog's timestamps have one-second resolution, so a point in time T means "every
 * transaction whose binlog timestamp is in T's second or before": mariadb-binlog stops at the
 * first event at or after the next whole second.
 */
export function stopDatetime(stopAt: Date): string {
  const next = new Date(Math.floor(stopAt.getTime() / 1000) * 1000 + 1000);
  return next.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "");
}

/**
 * Drops the lines that make the target reuse the source's GTIDs and server id, so replayed
 * transactions get fresh GTIDs of the target server (and its replicas follow them like any
 * other write) instead of clashing with the GTIDs the loaded dump produced under
 * gtid_strict_mode.
 */
export const SOURCE_GTID_LINE = /^\/\*M?!\d+ SET @@session\.(gtid_domain_id|gtid_seq_no|server_id)=\d+\*\/\/\*!\*\/;$/;

export function createGtidSessionFilter(): Transform {
  let partial = "";
  const keep = (line: string) => !SOURCE_GTID_LINE.test(line);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const text = partial + chunk.toString("latin1");
      const cut = text.lastIndexOf("\n");
      if (cut < 0) {
        partial = text;
        return callback();
      }
      partial = text.slice(cut + 1);
      const lines = text.slice(0, cut).split("\n").filter(keep);
      callback(null, Buffer.from(lines.length > 0 ? `${lines.join("\n")}\n` : "", "latin1"));
    },
    flush(callback: TransformCallback) {
      callback(null, partial && keep(partial) ? Buffer.from(partial, "latin1") : undefined);
    },
  });
}

/** Whether every GTID of `segmentEnd` is already in `position` (the segment has nothing new). */
export function alreadyApplied(position: string, segmentEnd: string | undefined): boolean {
  if (!segmentEnd) return false;
  const have = new Map(parseGtidList(position).map((gtid) => [gtid.domain, gtid.seq]));
  return parseGtidList(segmentEnd).every((gtid) => (have.get(gtid.domain) ?? -1n) >= gtid.seq);
}

/**
 * Replays archived binlogs on top of a loaded dump, up to `stopAt`. Each segment goes through
 * `mariadb-binlog --start-position=<GTID state so far>`, so transactions the dump already has,
 * or that an earlier segment (another server's copy of the same history, after a failover)
 * replayed, are skipped by GTID.
 */
export async function replayBinlogs(segments: ArchivedSegment[], options: ReplayOptions): Promise<BackupPosition> {
  let position = typeof options.from.gtidSet === "string" ? options.from.gtidSet : "";
  const stop = stopDatetime(options.stopAt);
  const ordered = [...segments].sort((a, b) => (a.manifest.firstEventAt ?? "").localeCompare(b.manifest.firstEventAt ?? "") || a.manifest.segment.localeCompare(b.manifest.segment));
  let replayed = 0;
  let reachedStop = false;
  for (const segment of ordered) {
    const { manifest } = segment;
    if (!manifest.firstEventAt) continue;
    if (new Date(manifest.firstEventAt).getTime() >= new Date(stop.replace(" ", "T") + "Z").getTime()) continue;
    if (alreadyApplied(position, manifest.endPosition)) continue;
    const args = ["--no-defaults", `--stop-datetime=${stop}`, "--skip-gtid-strict-mode"];
    if (position) args.push(`--start-position=${position}`);
    args.push("-");
    options.log.info({ stream: manifest.stream, segment: manifest.segment, from: position, stop }, "Replaying a binlog segment");
    const decoder = runTool("mariadb-binlog", args, { env: { ...process.env, TZ: "UTC" }, stdin: "pipe", signal: options.signal });
    const load = buildLoadCommand("mariadb", options.endpoint);
    const client = runTool(load.command, load.args, { env: toolEnvironment(options.endpoint), stdin: "pipe", stdout: "ignore", signal: options.signal, redact: [options.endpoint.password ?? ""] });
    const source = await segment.open();
    const results = await Promise.allSettled([
      pipeline(source, decoder.input!),
      pipeline(decoder.output!, createGtidSessionFilter(), client.input!),
      decoder.exited,
      client.exited,
    ]);
    // mariadb-binlog exits (cleanly) at the stop time without reading the rest of its input:
    // writing that rest then breaks its pipe, which is no failure once it exited 0.
    const stoppedEarly = (result: PromiseSettledResult<unknown>) => result.status === "rejected" && (result.reason as NodeJS.ErrnoException).code === "EPIPE" && results[2].status === "fulfilled";
    // The tools' own errors first: a broken pipe only says that one of them stopped.
    const failure = [results[3], results[2], results[0], results[1]].find((result) => result.status === "rejected" && !stoppedEarly(result));
    if (failure && failure.status === "rejected") throw new Error(`replaying ${manifest.stream}/${manifest.segment}: ${(failure.reason as Error).message}`);
    replayed++;
    if (manifest.lastEventAt && new Date(manifest.lastEventAt).getTime() >= new Date(stop.replace(" ", "T") + "Z").getTime()) {
      reachedStop = true;
      break;
    }
    position = mergeGtidLists(position, manifest.endPosition);
  }
  return {
    summary: reachedStop ? `replayed ${replayed} binlog segment(s) up to ${options.stopAt.toISOString()}` : `replayed ${replayed} binlog segment(s); GTID ${position || "(empty)"}`,
    gtidSet: position,
    replayedSegments: replayed,
  };
}
