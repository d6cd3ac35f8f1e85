/**
 * Offline restore: an RDB placed in a data directory before redis-server starts there (a new
 * cluster's first instance, see agent/restore.ts). Redis 7 with `appendonly yes` loads only
 * its append-only directory and ignores dump.rdb (measured: it started empty and wrote a new,
 * empty AOF base), so the seed is installed both ways: as dump.rdb and, by a hard link, as the
 * base of a one-file AOF manifest. Whichever persistence the cluster runs, the server loads it.
 */
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, linkSync, openSync, fsyncSync, closeSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DATA_FILES } from "../names.js";
import { RdbStream } from "./rdb-stream.js";

const AOF_BASE = `${DATA_FILES.aofBase}.1.base.rdb`;
const AOF_MANIFEST = `${DATA_FILES.aofBase}.manifest`;

function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Whether the directory already holds Redis data (or a finished seed). */
export function holdsData(dataDir: string): boolean {
  if (!existsSync(dataDir)) return false;
  const entries = readdirSync(dataDir);
  return entries.includes(DATA_FILES.rdb) || entries.includes(DATA_FILES.aofDir) || entries.includes(DATA_FILES.seeded);
}

export interface SeedResult {
  bytes: number;
  aux: Record<string, string>;
}

/**
 * Writes the RDB into `dataDir` (checked as it streams: header, end, leftover EOF mark) and
 * only then makes it visible: a failed or interrupted seed leaves nothing Redis would load.
 */
export async function seedDataDir(rdb: Readable, dataDir: string, replaceExisting = false): Promise<SeedResult> {
  mkdirSync(dataDir, { recursive: true });
  if (holdsData(dataDir)) {
    if (!replaceExisting) throw new Error(`${dataDir} already holds Redis data; refusing to overwrite it (restore into a new cluster, or ask for an in-place restore)`);
    for (const name of [DATA_FILES.rdb, DATA_FILES.aofDir, DATA_FILES.seeded]) rmSync(join(dataDir, name), { recursive: true, force: true });
  }
  const temporary = join(dataDir, `${DATA_FILES.rdb}.steward-restore`);
  const checked = new RdbStream();
  try {
    await pipeline([rdb, checked, createWriteStream(temporary, { mode: 0o640 })]);
    fsyncPath(temporary);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  const aofDir = join(dataDir, DATA_FILES.aofDir);
  const staging = `${aofDir}.steward-restore`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { mode: 0o750 });
  linkSync(temporary, join(staging, AOF_BASE));
  writeFileSync(join(staging, AOF_MANIFEST), `file ${AOF_BASE} seq 1 type b\n`, { mode: 0o640 });
  fsyncPath(join(staging, AOF_MANIFEST));
  renameSync(staging, aofDir);
  renameSync(temporary, join(dataDir, DATA_FILES.rdb));
  writeFileSync(join(dataDir, DATA_FILES.seeded), `${new Date().toISOString()}\n`);
  fsyncPath(dataDir);
  return { bytes: checked.bytes, aux: checked.header?.aux ?? {} };
}
