import { PassThrough, type Transform } from "node:stream";
import { constants, createGunzip, createGzip, createZstdCompress, createZstdDecompress } from "node:zlib";

export type Compression = "zstd" | "gzip" | "none";

/** The suffix data objects get, so a person browsing the bucket knows what a file is. */
export function compressionExtension(compression: Compression): string {
  return compression === "zstd" ? ".zst" : compression === "gzip" ? ".gz" : "";
}

/**
 * Compression runs in libuv's thread pool, so the dump, the compressor and the upload use
 * different cores. zstd level 3 (its default) compresses SQL dumps about as well as gzip -6
 * at several times the speed; gzip level 6 is gzip's own default.
 */
export function createCompressStream(compression: Compression): Transform {
  switch (compression) {
    case "zstd":
      return createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: 3, [constants.ZSTD_c_checksumFlag]: 1 } });
    case "gzip":
      return createGzip({ level: 6 });
    case "none":
      return new PassThrough();
  }
}

export function createDecompressStream(compression: Compression): Transform {
  switch (compression) {
    case "zstd":
      return createZstdDecompress({ chunkSize: 256 * 1024 });
    case "gzip":
      return createGunzip();
    case "none":
      return new PassThrough();
  }
}
