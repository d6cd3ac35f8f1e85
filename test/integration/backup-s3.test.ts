/**
 * S3 streaming against a real S3 server (versitygw, over HTTPS): multipart uploads of a body of
 * unknown length with bounded memory, reading back, the manifest's checksum, encryption on the
 * wire, the storage probe, prefix deletion, the error an S3 outage produces, and the client's TLS
 * rules (http refused unless allowed, the certificate verified against caBundle).
 */
import { createHash, randomFillSync } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Client } from "@aws-sdk/client-s3";
import { createEncryptStream, encryptionKeyId } from "../../backup/format/encryption.js";
import { MeasureStream } from "../../backup/format/measure.js";
import { openStoredObject, verifyStoredObject, ChecksumMismatchError } from "../../backup/pipeline.js";
import { InsecureEndpointError, S3CallError, createS3Client } from "../../backup/s3/client.js";
import { createCertificateAuthority } from "../../shared/tls/certificates.js";
import { deletePrefix, getStream, listObjects, probeStorage, putText, uploadStream } from "../../backup/s3/objects.js";
import { startS3, type S3Fixture } from "../fixtures/s3.js";

/** A random (incompressible) body of `size` bytes, produced on demand (never held whole). */
function generated(size: number): Readable {
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= size) return this.push(null);
      const length = Math.min(256 * 1024, size - produced);
      produced += length;
      this.push(randomFillSync(Buffer.allocUnsafe(length)));
    },
  });
}

async function sha256Of(stream: Readable): Promise<string> {
  const measure = new MeasureStream();
  await pipeline(stream, measure, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
  return measure.sha256();
}

describe("S3 streaming against versitygw", () => {
  let s3: S3Fixture;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startS3();
    client = s3.client();
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.destroy();
  });

  it("streams 600 MiB of unknown length as a multipart upload with memory bounded by the part size", async () => {
    const size = 600 * 1024 * 1024;
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const measure = new MeasureStream();
    const body = generated(size).pipe(measure);
    await uploadStream(client, s3.bucket, "big/object", body, { partBytes: 8 * 1024 * 1024, queueSize: 2 });
    clearInterval(sampler);
    const { stream, size: stored } = await getStream(client, s3.bucket, "big/object");
    expect(stored).toBe(size);
    expect(await sha256Of(stream)).toBe(measure.sha256());
    // Parts in flight: 8 MiB × (2 + 1), copied once by lib-storage, plus garbage not yet
    // collected; bounded, and far below the object's 600 MiB.
    expect(peak - before).toBeLessThan(160 * 1024 * 1024);
  });

  it("stores encrypted bytes that are not the plaintext and reads them back through the checksum and decryption", async () => {
    const key = createHash("sha256").update("test key").digest();
    const plaintext = Buffer.from("INSERT INTO secrets VALUES ('the plaintext must not be in S3');\n".repeat(5000));
    const measure = new MeasureStream();
    await uploadStream(client, s3.bucket, "enc/data.enc", Readable.from([plaintext]).pipe(createEncryptStream(key)).pipe(measure));
    const raw = await getStream(client, s3.bucket, "enc/data.enc");
    const chunks: Buffer[] = [];
    for await (const chunk of raw.stream) chunks.push(chunk as Buffer);
    const stored = Buffer.concat(chunks);
    expect(stored.includes(Buffer.from("the plaintext must not be in S3"))).toBe(false);
    const object = {
      key: "enc/data.enc",
      size: measure.bytes,
      rawSize: plaintext.length,
      sha256: measure.sha256(),
      compression: "none" as const,
      encryption: { algorithm: "AES-256-GCM-STREAM-v1" as const, keyId: encryptionKeyId(key), chunkBytes: 65536 },
      contentType: "application/sql",
    };
    const storage = { client, target: s3.target(), key };
    await verifyStoredObject(storage, object);
    const back: Buffer[] = [];
    for await (const chunk of await openStoredObject(storage, object)) back.push(chunk as Buffer);
    expect(Buffer.concat(back).equals(plaintext)).toBe(true);

    // One flipped byte in the middle: the pre-check names the checksum mismatch.
    const damaged = Buffer.from(stored);
    damaged[Math.floor(damaged.length / 2)]! ^= 0xff;
    await uploadStream(client, s3.bucket, "enc/data.enc", Readable.from([damaged]));
    await expect(verifyStoredObject(storage, object)).rejects.toThrow(ChecksumMismatchError);
    await expect(verifyStoredObject(storage, object)).rejects.toThrow(/checksum mismatch for s3:\/\/backups\/enc\/data.enc/);
  });

  it("probes the storage, and names HeadBucket and the HTTP status when the bucket does not exist", async () => {
    await probeStorage(client, s3.bucket, "probe/");
    const error = await probeStorage(client, "no-such-bucket", "").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(S3CallError);
    expect((error as S3CallError).message).toMatch(/^S3 HeadBucket s3:\/\/no-such-bucket failed: HTTP 404/);
  });

  it("names the call and the HTTP status for wrong credentials", async () => {
    const wrong = createS3Client({ ...s3.target(), secretAccessKey: "not-the-secret" });
    const error = await putText(wrong, s3.bucket, "x", "y").catch((caught: unknown) => caught);
    wrong.destroy();
    expect((error as Error).message).toMatch(/^S3 PutObject s3:\/\/backups\/x failed: HTTP 403/);
  });

  it("refuses an http:// endpoint unless the storage allows plaintext", () => {
    const plaintext = { ...s3.target(), endpoint: s3.endpoint.replace(/^https:/, "http:") };
    expect(() => createS3Client(plaintext)).toThrow(InsecureEndpointError);
    expect(() => createS3Client(plaintext)).toThrow(/is http:\/\/.*spec\.s3\.allowInsecure: true/);
    createS3Client({ ...plaintext, allowInsecure: true }).destroy();
  });

  it("verifies the server's certificate: another CA fails naming the certificate and caBundle, insecureSkipVerify skips the check", async () => {
    const other = await createCertificateAuthority("another CA", new Date());
    const untrusting = createS3Client({ ...s3.target(), caBundle: other.certPem }, { maxAttempts: 1 });
    const error = await putText(untrusting, s3.bucket, "tls/x", "y").catch((caught: unknown) => caught);
    untrusting.destroy();
    expect((error as Error).message).toMatch(/^S3 PutObject s3:\/\/backups\/tls\/x failed: no HTTP response .*certificate failed verification.*spec\.s3\.caBundle/);
    const skipping = createS3Client({ ...s3.target(), caBundle: undefined, insecureSkipVerify: true }, { maxAttempts: 1 });
    await putText(skipping, s3.bucket, "tls/x", "y");
    skipping.destroy();
  });

  it("deletes everything under a prefix and nothing else", async () => {
    for (const name of ["a", "b", "c/d"]) await putText(client, s3.bucket, `gone/${name}`, name);
    await putText(client, s3.bucket, "gone-not/kept", "kept");
    expect(await deletePrefix(client, s3.bucket, "gone/")).toBe(3);
    expect(await listObjects(client, s3.bucket, "gone/")).toEqual([]);
    expect((await listObjects(client, s3.bucket, "gone-not/")).map((object) => object.key)).toEqual(["gone-not/kept"]);
    await expect(deletePrefix(client, s3.bucket, "gone")).rejects.toThrow(/must end with \//);
  });

  it("fails an upload with the S3 call when the server goes away mid-upload, and works again once it is back", async () => {
    const body = generated(400 * 1024 * 1024);
    let sent = 0;
    body.on("data", (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > 40 * 1024 * 1024 && sent - chunk.length <= 40 * 1024 * 1024) void s3.stop();
    });
    const fast = createS3Client(s3.target(), { maxAttempts: 1 });
    const error = await uploadStream(fast, s3.bucket, "outage/object", body, { partBytes: 8 * 1024 * 1024, queueSize: 2 }).catch((caught: unknown) => caught);
    fast.destroy();
    expect(error).toBeInstanceOf(S3CallError);
    expect((error as Error).message).toMatch(/^S3 (UploadPart|CompleteMultipartUpload|CreateMultipartUpload|PutObject) s3:\/\/backups\/outage\/object failed/);
    await s3.start();
    await putText(client, s3.bucket, "outage/after", "ok");
    expect((await listObjects(client, s3.bucket, "outage/")).map((object) => object.key)).toEqual(["outage/after"]);
  });
});
