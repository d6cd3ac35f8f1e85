import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/**
 * Client-side encryption of backup objects: AES-256-GCM in authenticated chunks, so memory
 * stays bounded whatever the object's size and a damaged chunk is detected where it is,
 * without reading the object to the end first. The construction is the STREAM scheme
 * (Hoang, Reyhanitabar, Rogaway, Vizár 2015) as Tink's streaming AEAD and age use it.
 *
 * Format (all integers big-endian):
 *
 *   header, 44 bytes:
 *     magic        8  "STWDENC" followed by the format version byte 0x01
 *     chunk size   4  plaintext bytes per chunk (every chunk but the last is exactly this long)
 *     salt        32  random per object
 *   then chunks, each:
 *     ciphertext   n  AES-256-GCM of n plaintext bytes (n = chunk size, the last chunk 0..chunk size)
 *     tag         16  GCM tag
 *
 *   object key  = HKDF-SHA256(ikm = the 32-byte storage key, salt = header salt, info = "steward backup v1", 32 bytes)
 *   nonce (12)  = 0x000000 || chunk index (8 bytes) || last-chunk flag (0x00, or 0x01 on the last chunk)
 *   AAD         = the 44 header bytes
 *
 * A fresh key per object (from the random salt) keeps nonces unique without a counter shared
 * between writers. The index in the nonce detects reordered or dropped chunks, the last-chunk
 * flag detects truncation at a chunk boundary, the AAD binds the header (chunk size) to every
 * chunk. An empty plaintext is one last chunk of 0 bytes (16 bytes of tag).
 */
export const ENCRYPTION_MAGIC = Buffer.from("STWDENC\x01", "latin1");
export const HEADER_BYTES = 44;
export const TAG_BYTES = 16;
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
const INFO = Buffer.from("steward backup v1");

export class DecryptionError extends Error {
  override readonly name = "DecryptionError";
}

/** The key as a Secret holds it: 32 raw bytes, or base64 / hex of 32 bytes (a trailing newline is ignored). */
export function parseEncryptionKey(material: Buffer | string): Buffer {
  const bytes = typeof material === "string" ? Buffer.from(material, "utf8") : material;
  if (bytes.length === 32) return Buffer.from(bytes);
  const text = bytes.toString("utf8").trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
  const decoded = Buffer.from(text, "base64");
  if (decoded.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(text)) return decoded;
  throw new Error(`the encryption key must be 32 bytes (raw, 64 hex characters or base64 of 32 bytes); got ${bytes.length} bytes that decode to none of these`);
}

/** A public name for a key (recorded in manifests), from which the key cannot be derived. */
export function encryptionKeyId(key: Buffer): string {
  return `sha256:${createHash("sha256").update("steward key id\0").update(key).digest("hex").slice(0, 16)}`;
}

function nonceFor(index: bigint, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(index, 3);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

function objectKey(key: Buffer, salt: Buffer): Buffer {
  if (key.length !== 32) throw new Error("AES-256 needs a 32-byte key");
  return Buffer.from(hkdfSync("sha256", key, salt, INFO, 32));
}

function sealChunk(key: Buffer, header: Buffer, index: bigint, last: boolean, plaintext: Buffer): Buffer[] {
  const cipher = createCipheriv("aes-256-gcm", key, nonceFor(index, last));
  cipher.setAAD(header);
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return [body, final, cipher.getAuthTag()].filter((part) => part.length > 0);
}

/** Collects incoming buffers until a whole chunk is there, without copying more than needed. */
class ChunkBuffer {
  private parts: Buffer[] = [];
  length = 0;

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.parts.push(data);
    this.length += data.length;
  }

  take(count: number): Buffer {
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const head = this.parts[0]!;
      const need = count - filled;
      if (head.length <= need) {
        head.copy(out, filled);
        filled += head.length;
        this.parts.shift();
      } else {
        head.copy(out, filled, 0, need);
        this.parts[0] = head.subarray(need);
        filled += need;
      }
    }
    this.length -= count;
    return out;
  }
}

/** A Transform that encrypts what passes through it into the format above. */
export function createEncryptStream(key: Buffer, options: { chunkBytes?: number } = {}): Transform {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) throw new Error(`chunk size must be 1..${MAX_CHUNK_BYTES}`);
  const salt = randomBytes(32);
  const header = Buffer.alloc(HEADER_BYTES);
  ENCRYPTION_MAGIC.copy(header, 0);
  header.writeUInt32BE(chunkBytes, 8);
  salt.copy(header, 12);
  const subkey = objectKey(key, salt);
  const pending = new ChunkBuffer();
  let index = 0n;
  let headerSent = false;
  const sendHeader = (stream: Transform) => {
    if (!headerSent) stream.push(header);
    headerSent = true;
  };
  return new Transform({
    transform(data: Buffer, _encoding, callback: TransformCallback) {
      sendHeader(this);
      pending.push(data);
      // Keep at least one byte back: the last chunk must carry the last-chunk flag, and only
      // the end of the input says which chunk is last.
      while (pending.length > chunkBytes) {
        for (const part of sealChunk(subkey, header, index++, false, pending.take(chunkBytes))) this.push(part);
      }
      callback();
    },
    flush(callback: TransformCallback) {
      sendHeader(this);
      for (const part of sealChunk(subkey, header, index, true, pending.take(pending.length))) this.push(part);
      callback();
    },
  });
}

/**
 * A Transform that decrypts the format above; it fails with a DecryptionError naming the chunk
 * when a tag does not match (tampering, a wrong key, reordering) or the object was cut short.
 */
export function createDecryptStream(key: Buffer): Transform {
  const pending = new ChunkBuffer();
  let header: Buffer | undefined;
  let subkey: Buffer | undefined;
  let recordBytes = 0;
  let index = 0n;
  const open = (record: Buffer, last: boolean): Buffer => {
    const decipher = createDecipheriv("aes-256-gcm", subkey!, nonceFor(index, last));
    decipher.setAAD(header!);
    decipher.setAuthTag(record.subarray(record.length - TAG_BYTES));
    try {
      const body = decipher.update(record.subarray(0, record.length - TAG_BYTES));
      decipher.final();
      index++;
      return body;
    } catch {
      const where = `chunk ${index} (bytes ${HEADER_BYTES + Number(index) * recordBytes}..)`;
      throw new DecryptionError(
        last
          ? `authentication failed at ${where}: the object was altered, truncated, or encrypted with another key`
          : `authentication failed at ${where}: the object was altered or encrypted with another key`,
      );
    }
  };
  const readHeader = (): void => {
    header = pending.take(HEADER_BYTES);
    if (!header.subarray(0, 8).equals(ENCRYPTION_MAGIC)) throw new DecryptionError("not a Steward encrypted object (bad magic): was the backup written without encryption?");
    const chunkBytes = header.readUInt32BE(8);
    if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) throw new DecryptionError(`bad chunk size ${chunkBytes} in the header`);
    recordBytes = chunkBytes + TAG_BYTES;
    subkey = objectKey(key, header.subarray(12, 44));
  };
  return new Transform({
    transform(data: Buffer, _encoding, callback: TransformCallback) {
      try {
        pending.push(data);
        if (!header && pending.length >= HEADER_BYTES) readHeader();
        // A full record is a middle chunk only when more bytes follow it.
        while (header && pending.length > recordBytes) this.push(open(pending.take(recordBytes), false));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!header) throw new DecryptionError(`the object ends after ${pending.length} bytes, inside the ${HEADER_BYTES}-byte header`);
        if (pending.length < TAG_BYTES) throw new DecryptionError(`the object ends inside chunk ${index}: it was truncated`);
        const body = open(pending.take(pending.length), true);
        if (body.length > 0) this.push(body);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** Stored bytes for a plaintext of this size (for progress totals and tests). */
export function encryptedSize(plaintextBytes: number, chunkBytes = DEFAULT_CHUNK_BYTES): number {
  const chunks = Math.max(1, Math.ceil(plaintextBytes / chunkBytes));
  return HEADER_BYTES + plaintextBytes + chunks * TAG_BYTES;
}
