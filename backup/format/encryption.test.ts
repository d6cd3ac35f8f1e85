import { randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { DecryptionError, HEADER_BYTES, TAG_BYTES, createDecryptStream, createEncryptStream, encryptedSize, encryptionKeyId, parseEncryptionKey } from "./encryption.js";

async function collect(source: Readable, ...stages: NodeJS.ReadWriteStream[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await pipeline([source, ...stages, sink] as unknown as [Readable, Writable]);
  return Buffer.concat(chunks);
}

/** Feeds a buffer in pieces of `size` bytes, to exercise every chunk-boundary case. */
function pieces(data: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) parts.push(data.subarray(at, at + size));
  return Readable.from(parts);
}

const key = randomBytes(32);

describe("chunked AES-256-GCM", () => {
  it.each([
    [0, 16],
    [1, 16],
    [15, 16],
    [16, 16],
    [17, 16],
    [64, 16],
    [1000, 100],
    [200_000, 65536],
  ])("round-trips %i bytes with %i-byte chunks, whatever the input and output piece sizes", async (size, chunkBytes) => {
    const plaintext = randomBytes(size);
    for (const piece of [1, 7, 4096]) {
      const sealed = await collect(pieces(plaintext, piece), createEncryptStream(key, { chunkBytes }));
      expect(sealed.length).toBe(encryptedSize(size, chunkBytes));
      const opened = await collect(pieces(sealed, piece + 3), createDecryptStream(key));
      expect(opened.equals(plaintext)).toBe(true);
    }
  });

  it("uses a fresh salt per object: the same plaintext never encrypts to the same bytes", async () => {
    const plaintext = Buffer.from("same text");
    const a = await collect(Readable.from([plaintext]), createEncryptStream(key));
    const b = await collect(Readable.from([plaintext]), createEncryptStream(key));
    expect(a.equals(b)).toBe(false);
    expect(a.includes(plaintext)).toBe(false);
  });

  it("detects a flipped bit in any chunk, and names the chunk", async () => {
    const plaintext = randomBytes(1000);
    const sealed = await collect(Readable.from([plaintext]), createEncryptStream(key, { chunkBytes: 100 }));
    for (const position of [HEADER_BYTES + 5, HEADER_BYTES + 116 * 4 + 3, sealed.length - 1]) {
      const damaged = Buffer.from(sealed);
      damaged[position]! ^= 0x01;
      await expect(collect(Readable.from([damaged]), createDecryptStream(key))).rejects.toThrow(DecryptionError);
    }
    const damaged = Buffer.from(sealed);
    damaged[HEADER_BYTES + 116 * 4 + 3]! ^= 0x01;
    await expect(collect(Readable.from([damaged]), createDecryptStream(key))).rejects.toThrow(/chunk 4/);
  });

  it("detects a changed header (chunk size) and a wrong key", async () => {
    const sealed = await collect(Readable.from([randomBytes(300)]), createEncryptStream(key, { chunkBytes: 100 }));
    const header = Buffer.from(sealed);
    header.writeUInt32BE(101, 8);
    await expect(collect(Readable.from([header]), createDecryptStream(key))).rejects.toThrow(DecryptionError);
    await expect(collect(Readable.from([sealed]), createDecryptStream(randomBytes(32)))).rejects.toThrow(/authentication failed at chunk 0/);
  });

  it("detects truncation: at a chunk boundary, inside a chunk, inside the header, and the last chunk removed", async () => {
    const sealed = await collect(Readable.from([randomBytes(1000)]), createEncryptStream(key, { chunkBytes: 100 }));
    const record = 100 + TAG_BYTES;
    for (const length of [HEADER_BYTES + record * 3, HEADER_BYTES + record * 3 + 50, HEADER_BYTES + 5, HEADER_BYTES + 10, sealed.length - 1]) {
      await expect(collect(Readable.from([sealed.subarray(0, length)]), createDecryptStream(key))).rejects.toThrow(DecryptionError);
    }
  });

  it("detects reordered chunks", async () => {
    const sealed = await collect(Readable.from([randomBytes(400)]), createEncryptStream(key, { chunkBytes: 100 }));
    const record = 100 + TAG_BYTES;
    const first = sealed.subarray(HEADER_BYTES, HEADER_BYTES + record);
    const second = sealed.subarray(HEADER_BYTES + record, HEADER_BYTES + 2 * record);
    const swapped = Buffer.concat([sealed.subarray(0, HEADER_BYTES), second, first, sealed.subarray(HEADER_BYTES + 2 * record)]);
    await expect(collect(Readable.from([swapped]), createDecryptStream(key))).rejects.toThrow(DecryptionError);
  });

  it("refuses an object that is not encrypted", async () => {
    await expect(collect(Readable.from([Buffer.from("-- MariaDB dump 10.19 plain text that is long enough for a header")]), createDecryptStream(key))).rejects.toThrow(/bad magic/);
  });

  it("reads keys as raw bytes, hex or base64, and names them without revealing them", () => {
    const raw = randomBytes(32);
    expect(parseEncryptionKey(raw).equals(raw)).toBe(true);
    expect(parseEncryptionKey(raw.toString("hex")).equals(raw)).toBe(true);
    expect(parseEncryptionKey(`${raw.toString("base64")}\n`).equals(raw)).toBe(true);
    expect(() => parseEncryptionKey("too short")).toThrow(/32 bytes/);
    expect(encryptionKeyId(raw)).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(encryptionKeyId(raw)).not.toContain(raw.toString("hex").slice(0, 16));
  });
});
