/**
 * The logical dump and load through the `mongodb` driver (the format is dump-format.ts's), and
 * the per-collection checksums a restore is compared with.
 *
 * Checksum of a collection: `<count>:<sha256>` over the BSON bytes of its documents in `_id`
 * order. BSON keeps field order and exact types, so equal checksums mean the same documents,
 * field for field; the dump computes it while it reads (it reads in `_id` order anyway).
 * Documents are read without the driver's promotion of values (an Int32 stays an Int32, a
 * Double 7.0 a Double), so neither the dump nor the checksum loses a type.
 */
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { BSON, type Db, type Document, type MongoClient } from "mongodb";
import type { Logger } from "../../../shared/log.js";
import { DUMP_FORMAT, DUMP_VERSION, DocumentBatcher, decodeRecord, encodeRecord, type DumpRecord } from "./dump-format.js";

/** Databases that are the server's own: never dumped, never dropped. */
const EXACT = { promoteValues: false, promoteLongs: false, bsonRegExp: true } as const;

export const SYSTEM_DATABASES: readonly string[] = ["admin", "local", "config"];

export interface DumpStats {
  oplogStart: BSON.Timestamp | null;
  oplogEnd: BSON.Timestamp | null;
  startedAt: Date;
  collections: number;
  documents: number;
}

class CollectionHash {
  private readonly hash = createHash("sha256");
  count = 0;
  add(document: Document): void {
    this.hash.update(BSON.serialize(document));
    this.count += 1;
  }
  digest(): string {
    return `${this.count}:${this.hash.digest("hex")}`;
  }
}

/** MongoDB's CommandNotFound: FerretDB has no rolesInfo, usersInfo or applyOps. */
const COMMAND_NOT_FOUND = 59;

/** A command's reply, or undefined where the server does not have the command. */
async function commandIfSupported(db: Db, command: Document): Promise<Document | undefined> {
  try {
    return await db.command(command);
  } catch (error) {
    if ((error as { code?: number }).code === COMMAND_NOT_FOUND) return undefined;
    throw error;
  }
}

async function lastOplogTimestamp(client: MongoClient): Promise<BSON.Timestamp | null> {
  const local = client.db("local");
  const exists = await local.listCollections({ name: "oplog.rs" }, { nameOnly: true }).toArray();
  if (exists.length === 0) return null;
  const last = await local.collection("oplog.rs").find({}, { sort: { $natural: -1 }, limit: 1, projection: { ts: 1 } }).next();
  return last?.ts instanceof BSON.Timestamp ? last.ts : null;
}

export async function userDatabases(client: MongoClient): Promise<string[]> {
  const { databases } = await client.db("admin").admin().listDatabases({ nameOnly: true });
  return databases.map((database) => database.name).filter((name) => !SYSTEM_DATABASES.includes(name)).sort();
}

async function collectionsOf(db: Db): Promise<Document[]> {
  const all = await db.listCollections().toArray();
  return all.filter((info) => !String(info.name).startsWith("system.")).sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

/**
 * The dump as lines of text, produced as the consumer reads (a slow upload slows the reads;
 * memory holds one batch). `stats` is complete once the generator is done.
 */
export async function* dumpLines(client: MongoClient, stats: DumpStats): AsyncGenerator<string> {
  const build = await client.db("admin").command({ buildInfo: 1 });
  stats.oplogStart = await lastOplogTimestamp(client);
  yield encodeRecord({ kind: "header", format: DUMP_FORMAT, version: DUMP_VERSION, server: String(build.version), startedAt: stats.startedAt, oplogStart: stats.oplogStart });
  const checksums: { collection: string; checksum: string }[] = [];
  for (const name of await userDatabases(client)) {
    const db = client.db(name);
    for (const info of await collectionsOf(db)) {
      const collection = String(info.name);
      const type = info.type === "view" ? "view" : info.type === "timeseries" ? "timeseries" : "collection";
      const indexes = type === "view" ? [] : await db.collection(collection).listIndexes().toArray();
      yield encodeRecord({ kind: "collection", db: name, name: collection, type, options: (info.options ?? {}) as Record<string, unknown>, indexes: indexes.filter((index) => index.name !== "_id_") });
      stats.collections += 1;
      if (type === "view") continue;
      const hash = new CollectionHash();
      const batcher = new DocumentBatcher();
      for await (const document of db.collection(collection).find({}, { sort: { _id: 1 }, ...EXACT })) {
        hash.add(document);
        const batch = batcher.add(document);
        if (batch) yield encodeRecord({ kind: "documents", db: name, collection, documents: batch });
      }
      const rest = batcher.take();
      if (rest) yield encodeRecord({ kind: "documents", db: name, collection, documents: rest });
      stats.documents += hash.count;
      checksums.push({ collection: `${name}.${collection}`, checksum: hash.digest() });
    }
    const roles = await commandIfSupported(db, { rolesInfo: 1, showPrivileges: true, showBuiltinRoles: false });
    for (const role of (roles?.roles ?? []) as Document[]) yield encodeRecord({ kind: "role", db: name, role });
    // Users without their credentials: a restored cluster's application user gets the new cluster's password.
    const users = await commandIfSupported(db, { usersInfo: 1 });
    for (const user of (users?.users ?? []) as Document[]) yield encodeRecord({ kind: "user", db: name, user: { user: user.user, roles: user.roles, customData: user.customData } });
  }
  stats.oplogEnd = await lastOplogTimestamp(client);
  if (stats.oplogStart && stats.oplogEnd && !stats.oplogStart.equals(stats.oplogEnd)) {
    const cursor = client.db("local").collection("oplog.rs").find({ ts: { $gt: stats.oplogStart, $lte: stats.oplogEnd } }, { sort: { $natural: 1 }, ...EXACT });
    const batcher = new DocumentBatcher();
    for await (const entry of cursor) {
      const batch = batcher.add(entry);
      if (batch) yield encodeRecord({ kind: "oplog", entries: batch });
    }
    const rest = batcher.take();
    if (rest) yield encodeRecord({ kind: "oplog", entries: rest });
  }
  yield encodeRecord({ kind: "trailer", oplogEnd: stats.oplogEnd, collections: stats.collections, documents: stats.documents, checksums });
}

export interface LoadResult {
  collections: number;
  documents: number;
  /** The checksums the dump recorded, to compare the restored data with. */
  checksums: { collection: string; checksum: string }[];
  oplogEntries: number;
  usersSkipped: string[];
}

/** Applies oplog entries: applyOps where the server has it (mongod), else the plain CRUD forms it maps to. */
export async function applyOplogEntries(client: MongoClient, entries: Document[]): Promise<void> {
  if (entries.length === 0) return;
  try {
    await client.db("admin").command(applyOpsCommand(entries));
    return;
  } catch (error) {
    if ((error as { code?: number }).code !== COMMAND_NOT_FOUND) throw error;
  }
  for (const entry of entries) {
    const [database, ...rest] = String(entry.ns).split(".");
    const collection = client.db(database).collection(rest.join("."));
    const o = entry.o as Document;
    if (entry.op === "i") await collection.replaceOne({ _id: o._id }, o, { upsert: true });
    else if (entry.op === "d") await collection.deleteOne({ _id: o._id });
    else if (entry.op === "u" && !("$v" in o) && !Object.keys(o).some((key) => key.startsWith("$"))) await collection.replaceOne(entry.o2 as Document, o, { upsert: true });
    else if (entry.op === "u" && modifierUpdate(o)) await collection.updateOne(entry.o2 as Document, modifierUpdate(o)!);
    else if (entry.op === "n") continue;
    else throw new Error(`cannot replay oplog entry ${String(entry.op)} on ${String(entry.ns)} without applyOps (the server has no applyOps)`);
  }
}

/** Fields that tie an entry to the source server (collection UUIDs, sessions, transaction chains): a restored server has its own, so they are dropped, as mongorestore --oplogReplay drops `ui`. */
const SOURCE_ONLY_FIELDS = ["ui", "lsid", "txnNumber", "stmtId", "prevOpTime", "preImageOpTime", "postImageOpTime", "needsRetryImage"];

/** The applyOps command mongod is sent for a batch of archived entries, each made portable. */
export function applyOpsCommand(entries: readonly Document[]): Document {
  return { applyOps: entries.map(portableEntry) };
}

function portableEntry(entry: Document): Document {
  const copy: Document = { ...entry };
  for (const field of SOURCE_ONLY_FIELDS) delete copy[field];
  // A transaction's entries come as one command entry holding them all.
  const o = copy.o as Document | undefined;
  if (copy.op === "c" && Array.isArray(o?.applyOps)) copy.o = { ...o, applyOps: (o.applyOps as Document[]).map(portableEntry) };
  return copy;
}

/**
 * An update entry in the `$v: 1` form (mongod before 5.0 wrote `{$set, $unset}`), as the update
 * it stands for. The `$v: 2` form (`{$v: 2, diff}`, mongod 5.0+) has no update-operator
 * equivalent a client could send, so only applyOps replays it: undefined then.
 */
function modifierUpdate(o: Document): Document | undefined {
  if (o.$v !== undefined && Number(o.$v) !== 1) return undefined;
  const keys = Object.keys(o).filter((key) => key !== "$v");
  if (keys.length === 0 || !keys.every((key) => key === "$set" || key === "$unset")) return undefined;
  return Object.fromEntries(keys.map((key) => [key, o[key] as Document]));
}

/**
 * Loads a dump into a running server. With `replaceExisting`, each database the dump holds is
 * dropped first (in-place restores); otherwise a collection that exists already is an error,
 * so a restore never merges into data it did not make.
 */
export async function loadLines(client: MongoClient, input: Readable, options: { replaceExisting: boolean; log: Logger }): Promise<LoadResult> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  const result: LoadResult = { collections: 0, documents: 0, checksums: [], oplogEntries: 0, usersSkipped: [] };
  const dropped = new Set<string>();
  let lineNumber = 0;
  let header = false;
  let trailer: Extract<DumpRecord, { kind: "trailer" }> | undefined;
  for await (const line of lines) {
    lineNumber += 1;
    if (line.length === 0) continue;
    if (trailer) throw new Error(`dump line ${lineNumber} follows the trailer`);
    const record = decodeRecord(line, lineNumber);
    if (!header && record.kind !== "header") throw new Error(`the dump does not start with a ${DUMP_FORMAT} header`);
    switch (record.kind) {
      case "header":
        header = true;
        break;
      case "collection": {
        const db = client.db(record.db);
        if (options.replaceExisting && !dropped.has(record.db)) {
          await db.dropDatabase();
          dropped.add(record.db);
        }
        await db.createCollection(record.name, record.options as Document);
        if (record.indexes.length > 0) {
          await db.command({ createIndexes: record.name, indexes: record.indexes.map(({ v: _v, ns: _ns, ...index }) => index) });
        }
        result.collections += 1;
        break;
      }
      case "documents":
        await client.db(record.db).collection(record.collection).insertMany(record.documents as Document[], { ordered: true, bypassDocumentValidation: true });
        result.documents += record.documents.length;
        break;
      case "role": {
        const { role, roles, privileges } = record.role as { role: string; roles?: unknown[]; privileges?: unknown[] };
        await client.db(record.db).command({ createRole: role, roles: roles ?? [], privileges: privileges ?? [] });
        break;
      }
      case "user":
        result.usersSkipped.push(`${String(record.user.user)}@${record.db}`);
        break;
      case "oplog":
        await applyOplogEntries(client, record.entries as Document[]);
        result.oplogEntries += record.entries.length;
        break;
      case "trailer":
        trailer = record;
        break;
    }
  }
  if (!trailer) throw new Error("the dump ends before its trailer: it was cut off");
  if (trailer.documents !== result.documents) throw new Error(`the dump's trailer counts ${trailer.documents} documents, ${result.documents} were loaded`);
  result.checksums = trailer.checksums;
  if (result.usersSkipped.length > 0) options.log.info({ users: result.usersSkipped }, "users are not restored from a dump (credentials are never in it); the operator creates the application user");
  return result;
}

/** `<count>:<sha256>` of every user collection, by `db.collection`, sorted. */
export async function collectionChecksums(client: MongoClient): Promise<{ collection: string; checksum: string }[]> {
  const checksums: { collection: string; checksum: string }[] = [];
  for (const name of await userDatabases(client)) {
    const db = client.db(name);
    for (const info of await collectionsOf(db)) {
      if (info.type === "view") continue;
      const hash = new CollectionHash();
      for await (const document of db.collection(String(info.name)).find({}, { sort: { _id: 1 }, ...EXACT })) hash.add(document);
      checksums.push({ collection: `${name}.${String(info.name)}`, checksum: hash.digest() });
    }
  }
  return checksums;
}
