import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";

/** Where and how to reach one BackupStorage, with its credentials resolved (never logged, never in status). */
export interface StorageTarget {
  endpoint?: string;
  region: string;
  bucket: string;
  /** Empty, or ends with "/". */
  prefix: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The non-secret part of a StorageTarget: what is passed to agents as an environment variable. */
export type StorageLocation = Omit<StorageTarget, "accessKeyId" | "secretAccessKey">;

/**
 * An S3 call that failed, named the way STYLE.md habit 9 asks: the call, the object, the
 * HTTP status and the server's code, e.g.
 * "S3 UploadPart s3://backups/shop/orders/...: HTTP 503 SlowDown: Please reduce your request rate".
 */
export class S3CallError extends Error {
  override readonly name = "S3CallError";
  constructor(
    message: string,
    readonly call: string,
    readonly httpStatus: number | undefined,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $steward?: { call: string; target: string };
  cause?: unknown;
}

/** Turns whatever the SDK threw into an S3CallError that says which call failed and how. */
export function describeS3Error(error: unknown, fallbackCall: string, target: string): S3CallError {
  if (error instanceof S3CallError) return error;
  const shape = (error ?? {}) as SdkErrorShape;
  const call = shape.$steward?.call ?? fallbackCall;
  const where = shape.$steward?.target ?? target;
  const status = shape.$metadata?.httpStatusCode;
  const code = shape.Code ?? shape.code ?? shape.name;
  const cause = shape.cause as SdkErrorShape | undefined;
  const detail = [shape.message, cause?.message].filter((text) => text && text !== code && text !== "UnknownError").join(": ");
  const http = status ? `HTTP ${status}` : "no HTTP response";
  return new S3CallError(`S3 ${call} ${where} failed: ${http}${code ? ` ${code}` : ""}${detail ? `: ${detail}` : ""}`, call, status, code);
}

/**
 * An S3 client for the target. Checksums only where the API requires them, because several
 * S3-compatible servers refuse the SDK's newer default trailing checksums; the bytes are
 * checked end to end by the manifest's sha256 anyway.
 */
export function createS3Client(target: StorageTarget, overrides: Partial<S3ClientConfig> = {}): S3Client {
  const client = new S3Client({
    region: target.region,
    endpoint: target.endpoint,
    forcePathStyle: target.forcePathStyle,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 3,
    // Without these a request on a connection that died silently (a cut network, no RST)
    // waits forever, and so does the backup Job. requestTimeout is per socket inactivity.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 60_000 },
    ...overrides,
  });
  // Tag every failure with the call and object, so the error that surfaces from deep inside
  // a multipart upload still says "UploadPart s3://bucket/key".
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error && typeof error === "object") {
          const input = (args.input ?? {}) as { Bucket?: string; Key?: string; Prefix?: string };
          const path = input.Key ?? input.Prefix;
          const target = `s3://${input.Bucket ?? "?"}${path ? `/${path}` : ""}`;
          (error as SdkErrorShape).$steward ??= { call: (context as { commandName?: string }).commandName?.replace(/Command$/, "") ?? "request", target };
        }
        throw error;
      }
    },
    { step: "initialize", name: "stewardErrorContext" },
  );
  return client;
}
