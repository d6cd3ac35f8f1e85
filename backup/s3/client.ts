import { Agent as HttpsAgent } from "node:https";
import { getCACertificates, rootCertificates } from "node:tls";
import { S3Client } from "@aws-sdk/client-s3";

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
  /** PEM CAs trusted for an https endpoint, beside the system roots. */
  caBundle?: string;
  /** Skip the https endpoint's certificate check (BackupStorage spec.s3.insecureSkipVerify). */
  insecureSkipVerify?: boolean;
  /** An http:// endpoint is used only with this set (BackupStorage spec.s3.allowInsecure). */
  allowInsecure?: boolean;
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

/** An endpoint the storage's TLS settings do not allow: refused before any byte is sent. */
export class InsecureEndpointError extends Error {
  override readonly name = "InsecureEndpointError";
}

// Node's codes for a server certificate that failed verification (OpenSSL's, and the host name check).
const CERTIFICATE_ERROR_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

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
  const certificate = CERTIFICATE_ERROR_CODES.has(code ?? "") || CERTIFICATE_ERROR_CODES.has(cause?.code ?? "");
  const hint = certificate ? " (the S3 server's TLS certificate failed verification: put the CA that signed it in the BackupStorage's spec.s3.caBundle)" : "";
  return new S3CallError(`S3 ${call} ${where} failed: ${http}${code ? ` ${code}` : ""}${detail ? `: ${detail}` : ""}${hint}`, call, status, code);
}

/**
 * The trust for an https endpoint: the system's CAs (with NODE_EXTRA_CA_CERTS) plus the
 * storage's caBundle. Node's `ca` option replaces the defaults, hence both.
 */
function trustedCertificates(caBundle: string | undefined): string[] | undefined {
  if (!caBundle) return undefined;
  const defaults = typeof getCACertificates === "function" ? getCACertificates("default") : [...rootCertificates];
  return [...defaults, caBundle];
}

export interface S3ClientOptions {
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/**
 * The one way Steward builds an S3 client (operator, agents, console, CLI, tests). It refuses an
 * http:// endpoint unless the storage allows plaintext, and verifies an https endpoint's
 * certificate against the system roots plus caBundle unless insecureSkipVerify. Checksums only
 * where the API requires them, because several S3-compatible servers refuse the SDK's newer
 * default trailing checksums; the bytes are checked end to end by the manifest's sha256 anyway.
 */
export function createS3Client(target: StorageTarget, options: S3ClientOptions = {}): S3Client {
  if (target.endpoint && /^http:/i.test(target.endpoint) && !target.allowInsecure) {
    throw new InsecureEndpointError(`S3 endpoint ${target.endpoint} is http://: backups and credentials would cross the network in plaintext; use https://, or set the BackupStorage's spec.s3.allowInsecure: true`);
  }
  const client = new S3Client({
    region: target.region,
    endpoint: target.endpoint,
    forcePathStyle: target.forcePathStyle,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: options.maxAttempts ?? 3,
    // Without these a request on a connection that died silently (a cut network, no RST)
    // waits forever, and so does the backup Job. requestTimeout is per socket inactivity.
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 60_000,
      // The SDK's own default agent settings (keep-alive, 50 sockets), with the storage's trust.
      // An Agent instance, not agent options: given options, the SDK sends every request with
      // "Expect: 100-continue" (UploadPart, larger PutObjects) through a fresh default agent
      // of its own, without the caBundle, and those fail verification.
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 50, ca: trustedCertificates(target.caBundle), rejectUnauthorized: !target.insecureSkipVerify }),
    },
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
