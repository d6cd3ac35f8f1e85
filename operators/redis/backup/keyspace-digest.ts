/**
 * A checksum of each database's keys and values, by a full SCAN, to compare a restore with its
 * source (DEBUG DIGEST would do it server-side, but the DEBUG command is off by default and
 * should stay off). The digest is order-independent (the XOR of one SHA-256 per key over its
 * name, type and canonical value), so two servers holding the same data agree whatever their
 * hash-table order or internal encodings. TTLs are not part of it (they move with the clock).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

export interface DatabaseDigest {
  db: number;
  keys: number;
  digest: string;
}

function sortPairs(flat: Buffer[]): Buffer[][] {
  const pairs: Buffer[][] = [];
  for (let index = 0; index + 1 < flat.length; index += 2) pairs.push([flat[index]!, flat[index + 1]!]);
  return pairs.sort((a, b) => Buffer.compare(a[0]!, b[0]!));
}

/** A reply as a flat list of buffers, whatever nesting the protocol (RESP2 or RESP3) gave it. */
function flatBuffers(reply: unknown): Buffer[] {
  if (reply === null || reply === undefined) return [];
  if (Buffer.isBuffer(reply)) return [reply];
  if (Array.isArray(reply)) return reply.flatMap(flatBuffers);
  return [Buffer.from(String(reply))];
}

/** The canonical bytes of one key's value, by type. */
async function canonicalValue(redis: Redis, key: Buffer, type: string): Promise<Buffer[]> {
  switch (type) {
    case "string":
      return [(await redis.getBuffer(key)) ?? Buffer.alloc(0)];
    case "list":
      return redis.lrangeBuffer(key, 0, -1);
    case "set":
      return (await redis.smembersBuffer(key)).sort(Buffer.compare);
    case "zset":
      return flatBuffers(await redis.callBuffer("ZRANGE", key, "0", "-1", "WITHSCORES"));
    case "hash":
      return sortPairs(flatBuffers(await redis.callBuffer("HGETALL", key))).flat();
    case "stream": {
      const entries = (await redis.call("XRANGE", key, "-", "+")) as [string, string[]][];
      return [Buffer.from(JSON.stringify(entries))];
    }
    case "none":
      return [];
    default: {
      // Module types: their serialized form is the best canonical value there is.
      const dumped = await redis.dumpBuffer(key);
      return dumped ? [dumped] : [];
    }
  }
}

function xorInto(target: Buffer, value: Buffer): void {
  for (let index = 0; index < target.length; index++) target[index]! ^= value[index]!;
}

/** One digest per non-empty database (INFO keyspace names them). */
export async function keyspaceDigests(redis: Redis): Promise<DatabaseDigest[]> {
  const keyspace = await redis.info("keyspace");
  const databases = [...keyspace.matchAll(/^db(\d+):keys=(\d+)/gm)].map((match) => Number(match[1]));
  const results: DatabaseDigest[] = [];
  for (const db of databases) {
    await redis.select(db);
    const digest = Buffer.alloc(32);
    let keys = 0;
    let cursor = "0";
    do {
      const [next, batch] = await redis.scanBuffer(cursor, "COUNT", 1000);
      cursor = String(next);
      const types = await Promise.all(batch.map((key) => redis.type(key)));
      const values = await Promise.all(batch.map((key, index) => canonicalValue(redis, key, types[index]!)));
      batch.forEach((key, index) => {
        if (types[index] === "none") return; // expired or deleted while scanning
        const hash = createHash("sha256").update(key).update("\0").update(types[index]!).update("\0");
        for (const part of values[index]!) hash.update(String(part.length)).update(":").update(part);
        xorInto(digest, hash.digest());
        keys++;
      });
    } while (cursor !== "0");
    results.push({ db, keys, digest: digest.toString("hex") });
  }
  await redis.select(0);
  return results;
}
