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
 * dump), 133 / 134 MiB with these settings (1 GiB dump), at the same throughput. A 48 MiB old
 * space gets 123 / 118 MiB, but the heap must also hold a point-in-time restore's plan, one
 * manifest per archived binlog segment, so 64 MiB it is.
 */
export const AGENT_PROCESS_ENV: readonly { name: string; value: string }[] = [
  { name: "NODE_OPTIONS", value: "--max-semi-space-size=1 --max-old-space-size=64" },
  { name: "UV_THREADPOOL_SIZE", value: "2" },
  { name: "MALLOC_ARENA_MAX", value: "2" },
];
