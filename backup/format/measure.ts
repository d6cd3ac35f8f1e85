import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/**
 * A pass-through that counts bytes and hashes them (sha256) on the way, so the checksum in
 * the manifest is of exactly the bytes stored, computed without a second read.
 */
export class MeasureStream extends Transform {
  bytes = 0;
  private readonly hash = createHash("sha256");
  private digest?: string;

  constructor(private readonly onProgress?: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    this.onProgress?.(this.bytes);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest("hex");
    callback();
  }

  /** sha256:<hex> of everything that passed; only after the stream ended. */
  sha256(): string {
    if (!this.digest) throw new Error("the stream has not ended: no checksum yet");
    return `sha256:${this.digest}`;
  }
}
