/** The release's agent image: the operator's own (it carries the engines' client tools and the agent). */
export const DEFAULT_AGENT_IMAGE = "ghcr.io/steward-dev/steward:0.1.0";

/** The agent image pods and Jobs run: the one configured, else $STEWARD_AGENT_IMAGE, else the release's. */
export function agentImage(configured?: string): string {
  return configured ?? process.env.STEWARD_AGENT_IMAGE ?? DEFAULT_AGENT_IMAGE;
}

/**
 * The environment of every agent process that streams data (backup, restore and verification
 * Jobs, the binlog archiver). Streams allocate short-lived buffers fast, and left to its
 * defaults V8 lets them pile up between collections. Peak RSS of `steward agent backup` /
 * `restore` on a MariaDB dump (bench/backup.ts): 171 / 168 MiB with Node's defaults (300 MiB
 * dump); with these settings see the README's numbers. The heap holds little: while a restore
 * streams, V8's old space stays near 17 MiB (buffers live outside it); what could grow with a
 * cluster's history is bounded by design (a point-in-time restore reads only the binlog
 * segments since its base backup; the archiver keeps only the names of binlogs still on disk).
 */
export const AGENT_PROCESS_ENV: readonly { name: string; value: string }[] = [
  { name: "NODE_OPTIONS", value: "--max-semi-space-size=1 --max-old-space-size=48" },
  { name: "UV_THREADPOOL_SIZE", value: "2" },
  { name: "MALLOC_ARENA_MAX", value: "2" },
  // glibc otherwise raises its mmap threshold after the first large free, and buffers of 128 KiB
  // and more (stream chunks, upload parts) then come from the heap and stay in RSS once freed.
  { name: "MALLOC_MMAP_THRESHOLD_", value: "131072" },
];
