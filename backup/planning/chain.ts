import type { BackupManifest } from "../manifest.js";

/**
 * Incremental physical backups form chains: a full copy, then copies of what changed since the
 * previous one. Pure functions over manifests (a restore) and over backup names (retention).
 */

/** The backup an incremental copy builds on: the newest Completed physical backup, or none (then the copy is full). */
export function chooseIncrementalParent<T extends { manifest: Pick<BackupManifest, "method" | "completedAt" | "backup"> }>(backups: T[]): T | undefined {
  return backups
    .filter((backup) => backup.manifest.method === "physical")
    .sort((a, b) => b.manifest.completedAt.localeCompare(a.manifest.completedAt) || b.manifest.backup.localeCompare(a.manifest.backup))[0];
}

/**
 * What a restore of `target` reads, base first: the manifests from its chain's full copy to
 * itself. A missing link or a loop is an error that names it (a restore must never prepare a
 * chain with a hole: it would start, with pages silently old).
 */
export function backupChain(target: BackupManifest, byName: ReadonlyMap<string, BackupManifest>): BackupManifest[] {
  const chain = [target];
  const seen = new Set([target.backup]);
  let current = target;
  while (current.chain) {
    const parent = byName.get(current.chain.parent);
    if (!parent) throw new Error(`backup ${current.backup} is incremental on top of ${current.chain.parent}, which has no manifest (removed, or never completed): the chain to ${target.backup} is broken`);
    if (seen.has(parent.backup)) throw new Error(`the chain of backup ${target.backup} loops at ${parent.backup}`);
    if (parent.method !== "physical") throw new Error(`backup ${current.backup} is incremental on top of ${parent.backup}, which is not a physical backup`);
    seen.add(parent.backup);
    chain.unshift(parent);
    current = parent;
  }
  return chain;
}

/** Every backup `name` needs to be restored (its ancestors), by following `parentOf`. */
export function ancestorsOf(name: string, parentOf: ReadonlyMap<string, string | undefined>): string[] {
  const result: string[] = [];
  const seen = new Set([name]);
  for (let parent = parentOf.get(name); parent !== undefined && !seen.has(parent); parent = parentOf.get(parent)) {
    result.push(parent);
    seen.add(parent);
  }
  return result;
}
