import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { cgroup2Root } from "./cgroups.js";
import { findSlotConflicts, SLOT_COUNT, SLOT_RUN_DIR, slotLayout, type Slot } from "./slot.js";

const execFileAsync = promisify(execFile);

/** Shell single-quoting: the only safe way to put an arbitrary string into a script. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export const HOSTS_LOCK = join(SLOT_RUN_DIR, "hosts.lock");
/** Mount points the runtimes had to create on the host filesystem (shared by all slots). */
export const MOUNTPOINTS_FILE = join(SLOT_RUN_DIR, "mountpoints");

/** awk that prints hostsFile without the slot's marked block. */
function withoutBlock(slot: Slot, hostsFile: string): string {
  return `awk -v b=${shellQuote(slot.hostsBegin)} -v e=${shellQuote(slot.hostsEnd)} '$0==b{skip=1;next} $0==e{skip=0;next} !skip' ${shellQuote(hostsFile)}`;
}

/**
 * Replaces the slot's block in the hosts file (or removes it when lines is empty), under a lock
 * shared by all slots. Written in place with `cat >`, never by rename: /etc/hosts may itself be
 * a bind mount, which a rename would silently detach from.
 */
export async function writeHostsBlock(slot: Slot, lines: string[], hostsFile = "/etc/hosts"): Promise<void> {
  mkdirSync(SLOT_RUN_DIR, { recursive: true });
  const block = lines.length > 0 ? [slot.hostsBegin, ...lines, slot.hostsEnd].join("\n") + "\n" : "";
  const tmp = join(SLOT_RUN_DIR, `hosts.slot${slot.index}.tmp`);
  writeFileSync(tmp, block);
  const script = `${withoutBlock(slot, hostsFile)} > ${shellQuote(tmp)}.new && cat ${shellQuote(tmp)} >> ${shellQuote(tmp)}.new && cat ${shellQuote(tmp)}.new > ${shellQuote(hostsFile)}; rc=$?; rm -f ${shellQuote(tmp)} ${shellQuote(tmp)}.new; exit $rc`;
  await execFileAsync("flock", [HOSTS_LOCK, "sh", "-c", script]);
}

export function recordCreatedMountpoint(path: string): void {
  mkdirSync(SLOT_RUN_DIR, { recursive: true });
  appendFileSync(MOUNTPOINTS_FILE, path + "\n");
}

/**
 * The one cleanup of a slot, as a shell script, so that the watchdog can run it after its owner
 * died (by SIGKILL, even) without a Node runtime or compiled sources. It is idempotent: `down`,
 * the watchdog and the next `up` on the slot all run it.
 */
export function slotCleanupScript(slot: Slot, hostsFile = "/etc/hosts", cgroupRoot = cgroup2Root()): string {
  const cg = cgroupRoot ? shellQuote(join(cgroupRoot, slot.cgroupName)) : "''";
  const lock = shellQuote(join(SLOT_RUN_DIR, `slot-${slot.index}.lock`));
  return [
    `CG=${cg}`,
    // Processes first, so nothing holds a namespace or a mount point.
    `if [ -n "$CG" ] && [ -d "$CG" ]; then echo 1 > "$CG/cgroup.kill" 2>/dev/null; i=0; while grep -q 'populated 1' "$CG/cgroup.events" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null; fi`,
    `ip netns list 2>/dev/null | awk '{print $1}' | grep '^${slot.prefix}-' | while read -r ns; do ip netns del "$ns"; done`,
    `ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^${slot.prefix}(p[0-9]+)?$' | while read -r l; do ip link del "$l"; done`,
    `while ip route del unreachable ${slot.serviceCidr} 2>/dev/null; do :; done`,
    `while ip route del unreachable ${slot.podCidr} 2>/dev/null; do :; done`,
    `mkdir -p ${SLOT_RUN_DIR}`,
    `flock ${shellQuote(HOSTS_LOCK)} sh -c ${shellQuote(`if grep -qxF ${shellQuote(slot.hostsBegin)} ${shellQuote(hostsFile)}; then ${withoutBlock(slot, hostsFile)} > ${SLOT_RUN_DIR}/hosts.clean.$$ && cat ${SLOT_RUN_DIR}/hosts.clean.$$ > ${shellQuote(hostsFile)}; rm -f ${SLOT_RUN_DIR}/hosts.clean.$$; fi`)}`,
    // Mount points on the shared host filesystem are removed only when no other slot runs:
    // removing a directory another runtime's containers mount over would detach their mounts.
    `busy=0; for f in ${SLOT_RUN_DIR}/slot-*.lock; do [ -e "$f" ] || continue; [ "$f" = ${lock} ] && continue; flock -n "$f" true || busy=1; done`,
    `if [ $busy = 0 ] && [ -f ${shellQuote(MOUNTPOINTS_FILE)} ]; then sort -ru ${shellQuote(MOUNTPOINTS_FILE)} | while read -r d; do if [ -d "$d" ]; then rmdir "$d" 2>/dev/null; elif [ -f "$d" ] && [ ! -s "$d" ]; then rm -f "$d"; fi; done; rm -f ${shellQuote(MOUNTPOINTS_FILE)}; fi`,
    `rm -f ${SLOT_RUN_DIR}/slot-${slot.index}.json`,
    "exit 0",
  ].join("\n");
}

export async function cleanupSlot(slot: Slot, hostsFile?: string): Promise<void> {
  await execFileAsync("sh", ["-c", slotCleanupScript(slot, hostsFile)], { maxBuffer: 1 << 20 });
}

/**
 * Ownership of a slot, held by a watchdog process: a shell that holds an exclusive flock on
 * /run/steward/slot-N.lock for as long as it lives and whose stdin is a pipe from its owner.
 * When the owner dies in any way (vitest killed, daemon SIGKILLed), the pipe reaches EOF (and
 * the parent-death signal arrives) and the watchdog runs the slot's cleanup before it lets the
 * lock go; after a normal stop the owner has cleaned up itself and tells it to just exit.
 */
export interface SlotLease {
  slot: Slot;
  /** The watchdog's pid (also in /run/steward/slot-N.json): SIGTERM to it is what the owner's death does. */
  watchdogPid: number;
  /** Lets the watchdog exit: without cleaning (the owner has done it), or after cleaning when asked. */
  release(clean?: boolean): Promise<void>;
}

function watchdogScript(slot: Slot, hostsFile: string): string {
  const lock = shellQuote(join(SLOT_RUN_DIR, `slot-${slot.index}.lock`));
  return [
    `exec 9>>${lock}`,
    "flock -n 9 || exit 75",
    "echo locked",
    `cleanup() {\n${slotCleanupScript(slot, hostsFile).replace(/\nexit 0$/, "")}\n}`,
    "trap 'cleanup 9>&-; exit 0' TERM HUP INT",
    'if read -r line && [ "$line" = release ]; then exit 0; fi',
    "cleanup 9>&-",
  ].join("\n");
}

function startWatchdog(slot: Slot, hostsFile: string): Promise<ChildProcess | undefined> {
  mkdirSync(SLOT_RUN_DIR, { recursive: true });
  const child = spawn("setpriv", ["--pdeathsig", "SIGTERM", "--", "sh", "-c", watchdogScript(slot, hostsFile)], { stdio: ["pipe", "pipe", "ignore"] });
  return new Promise((resolve) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (line) => resolve(line === "locked" ? child : undefined));
    child.once("exit", () => resolve(undefined));
    child.once("error", () => resolve(undefined));
  });
}

export interface AcquireOptions {
  /** A given slot, or the first free one. */
  slot?: number;
  stateDir: string;
  hostsFile?: string;
  log?: (line: string) => void;
}

export async function acquireSlot(options: AcquireOptions): Promise<SlotLease> {
  const log = options.log ?? (() => {});
  const hostsFile = options.hostsFile ?? "/etc/hosts";
  const candidates = options.slot !== undefined ? [options.slot] : Array.from({ length: SLOT_COUNT }, (_, i) => i);
  const skipped: string[] = [];
  for (const index of candidates) {
    const slot = slotLayout(index);
    const watchdog = await startWatchdog(slot, hostsFile);
    if (!watchdog) {
      skipped.push(`slot ${index} is in use`);
      continue;
    }
    const release = async (clean = false) => {
      if (watchdog.exitCode !== null || watchdog.signalCode !== null) return;
      const exited = new Promise((resolve) => watchdog.once("exit", resolve));
      // Any line but "release" (or EOF) makes it clean up first.
      watchdog.stdin!.end(clean ? "clean\n" : "release\n");
      await exited;
    };
    // Whatever a crashed previous owner left behind belongs to this slot: remove it first.
    await cleanupSlot(slot, hostsFile);
    const conflicts = findSlotConflicts(slot);
    if (conflicts.length > 0) {
      await release();
      skipped.push(`slot ${index}: ${conflicts.join("; ")}`);
      continue;
    }
    writeFileSync(join(SLOT_RUN_DIR, `slot-${index}.json`), JSON.stringify({ pid: process.pid, watchdogPid: watchdog.pid, stateDir: options.stateDir, since: new Date().toISOString() }) + "\n");
    log(`using slot ${index}: pods ${slot.podCidr} on bridge ${slot.bridge}, services ${slot.serviceCidr}`);
    return {
      slot,
      watchdogPid: watchdog.pid!,
      release: async (clean = false) => {
        rmSync(join(SLOT_RUN_DIR, `slot-${index}.json`), { force: true });
        await release(clean);
      },
    };
  }
  throw new Error(`no usable local-cluster slot: ${skipped.join("; ")}`);
}

/** Whether a live process holds the slot's lock (flock -n fails). */
export function isSlotHeld(index: number): boolean {
  const lock = join(SLOT_RUN_DIR, `slot-${index}.lock`);
  if (!existsSync(lock)) return false;
  return spawnSync("flock", ["-n", lock, "true"]).status !== 0;
}

/** Who took the slot, as recorded in /run/steward/slot-N.json (while it holds it). */
export function slotOwner(index: number): { pid: number; watchdogPid: number; stateDir: string; since: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(SLOT_RUN_DIR, `slot-${index}.json`), "utf8")) as { pid: number; watchdogPid: number; stateDir: string; since: string };
  } catch {
    return undefined;
  }
}
