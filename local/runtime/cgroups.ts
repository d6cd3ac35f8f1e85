import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Every container's processes live in their own cgroup (cgroup v2, no controllers needed), so
 * that killing a container kills everything it started, including daemons that double-forked
 * away from the process we spawned: `cgroup.kill` reaches every member at once. On hosts without
 * a cgroup2 mount the runtime falls back to process groups (documented as less thorough).
 */
export function cgroup2Root(): string | undefined {
  if (process.env.STEWARD_NO_CGROUP) return undefined;
  try {
    for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
      // "... - cgroup2 cgroup2 rw": the mount point is field 5, the fs type follows the " - ".
      const [left, right] = line.split(" - ");
      if (!left || !right || !right.startsWith("cgroup2 ")) continue;
      const mountPoint = left.split(" ")[4];
      if (mountPoint && existsSync(join(mountPoint, "cgroup.procs"))) return mountPoint;
    }
  } catch {
    // no /proc: no cgroups
  }
  return undefined;
}

export class CgroupTree {
  constructor(readonly root: string) {}

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  create(...parts: string[]): string {
    const dir = this.path(...parts);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Pids currently in the cgroup and its descendants. */
  pids(...parts: string[]): number[] {
    const dir = this.path(...parts);
    const out: number[] = [];
    const walk = (d: string) => {
      try {
        for (const line of readFileSync(join(d, "cgroup.procs"), "utf8").split("\n")) if (line.trim()) out.push(Number(line));
        for (const entry of readdirSync(d, { withFileTypes: true })) if (entry.isDirectory()) walk(join(d, entry.name));
      } catch {
        // removed meanwhile
      }
    };
    walk(dir);
    return out;
  }

  /** SIGKILLs every process in the cgroup subtree and waits until it is empty (or 5 s passed). */
  async kill(...parts: string[]): Promise<void> {
    const dir = this.path(...parts);
    if (!existsSync(dir)) return;
    const victims = new Set(this.pids(...parts));
    try {
      writeFileSync(join(dir, "cgroup.kill"), "1");
    } catch {
      for (const pid of this.pids(...parts)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    // Waits for the processes that were there, not for an empty cgroup: a restarted container
    // may already be moving a new process in.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && this.pids(...parts).some((pid) => victims.has(pid))) await sleep(20);
  }

  /** Kills and removes the subtree, deepest first (a cgroup can only be removed when empty). */
  async remove(...parts: string[]): Promise<void> {
    const dir = this.path(...parts);
    if (!existsSync(dir)) return;
    await this.kill(...parts);
    const removeDir = (d: string) => {
      for (const entry of readdirSync(d, { withFileTypes: true })) if (entry.isDirectory()) removeDir(join(d, entry.name));
      try {
        rmdirSync(d);
      } catch {
        // a straggler still exiting; the slot cleanup retries
      }
    };
    removeDir(dir);
  }
}
