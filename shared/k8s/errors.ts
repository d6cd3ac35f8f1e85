import { z } from "zod";

/** The metav1.Status body the API server sends with every refusal. */
export const kubeStatusSchema = z.looseObject({
  kind: z.literal("Status").optional(),
  status: z.string().optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().optional(),
  details: z.looseObject({}).optional(),
});
export type KubeStatus = z.infer<typeof kubeStatusSchema>;

/**
 * A refusal from the API server. `message` is the server's own (for a CEL rule it names the
 * field and the rule's message), so printing it tells a person what to fix.
 */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  readonly statusCode: number;
  readonly reason?: string;
  readonly status?: unknown;

  constructor(message: string, statusCode: number, reason?: string, status?: unknown) {
    super(message);
    this.statusCode = statusCode;
    this.reason = reason;
    this.status = status;
  }

  /** Builds the error from a response; the body is the Status when the server sent one. */
  static fromResponse(method: string, path: string, statusCode: number, bodyText: string): KubeApiError {
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      body = undefined;
    }
    const parsed = kubeStatusSchema.safeParse(body);
    if (parsed.success && parsed.data.message) {
      return new KubeApiError(parsed.data.message, statusCode, parsed.data.reason, parsed.data);
    }
    const snippet = bodyText.trim().slice(0, 300);
    return new KubeApiError(`${method} ${path} failed with HTTP ${statusCode}${snippet ? `: ${snippet}` : ""}`, statusCode, undefined, body);
  }
}

function hasStatus(e: unknown, code: number): boolean {
  return e instanceof KubeApiError && e.statusCode === code;
}

export function isNotFound(e: unknown): boolean {
  return hasStatus(e, 404);
}

/** A resourceVersion precondition failed: someone else wrote first; re-read and try again. */
export function isConflict(e: unknown): boolean {
  return hasStatus(e, 409) && (e as KubeApiError).reason !== "AlreadyExists";
}

export function isAlreadyExists(e: unknown): boolean {
  return hasStatus(e, 409) && (e as KubeApiError).reason === "AlreadyExists";
}

/** 410: the resourceVersion asked for is older than what the server keeps; list again. */
export function isGone(e: unknown): boolean {
  return hasStatus(e, 410);
}
