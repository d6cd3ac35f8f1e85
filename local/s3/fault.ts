import { z } from "zod";

/**
 * The S3 faults the local cluster can inject (`steward local fault s3 ...`), as the fault proxy
 * in front of the S3 server applies them to each request. Pure: the proxy, the CLI and the chaos
 * suite share these definitions.
 */
export const S3FaultSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("none") }),
  /** Answer requests with an S3 error (503 SlowDown, 500 InternalError) instead of forwarding them. */
  z.object({ mode: z.literal("errors"), status: z.union([z.literal(500), z.literal(503)]).default(503) }),
  /** Reset the client's connection once this many bytes of the request or response went through. */
  z.object({ mode: z.literal("drop"), afterBytes: z.number().int().min(0).default(65_536) }),
  /** Hold each response this long before its first byte (past a client's timeout, a hung server). */
  z.object({ mode: z.literal("slow"), delayMs: z.number().int().min(1).max(600_000) }),
  /** The bucket's directory moved away: the real server answers NoSuchBucket until it is back. */
  z.object({ mode: z.literal("missing-bucket") }),
]);
export type S3FaultMode = z.infer<typeof S3FaultSchema>;

export const S3FaultRequestSchema = z.object({
  fault: S3FaultSchema,
  /** Share of requests it applies to (1: all), for intermittent faults. */
  rate: z.number().min(0).max(1).default(1),
  /** Seconds until it clears by itself (a burst); absent: until cleared. */
  forSeconds: z.number().positive().optional(),
});
export type S3FaultRequest = z.infer<typeof S3FaultRequestSchema>;

/** What the proxy reports: the fault in force, and how many requests it has forwarded and faulted. */
export const S3FaultStateSchema = z.object({
  fault: S3FaultSchema,
  rate: z.number(),
  /** ISO time it clears by itself, if a burst. */
  until: z.string().optional(),
  requests: z.number(),
  faulted: z.number(),
});
export type S3FaultState = z.infer<typeof S3FaultStateSchema>;

export const S3_FAULT_MODES = ["none", "errors", "drop", "slow", "missing-bucket"] as const;

/** The S3 error body a server sends with a 5xx (what SDKs parse for the code they retry on). */
export function s3ErrorBody(status: 500 | 503, resource: string): string {
  const [code, message] = status === 503 ? ["SlowDown", "Please reduce your request rate."] : ["InternalError", "We encountered an internal error. Please try again."];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource.replace(/[<>&]/g, "")}</Resource><RequestId>steward-fault</RequestId></Error>`;
}

/** Whether a request is hit: the fault is on, not expired, and the draw falls within the rate. */
export function faultApplies(state: { fault: S3FaultMode; rate: number; untilMs?: number }, nowMs: number, draw: number): boolean {
  if (state.fault.mode === "none" || state.fault.mode === "missing-bucket") return false;
  if (state.untilMs !== undefined && nowMs >= state.untilMs) return false;
  return draw < state.rate;
}

/** Parses the CLI's words (`errors --status 500`, `slow --delay 30`...) into a request. */
export function faultRequestFromCli(mode: string, options: { status?: string; afterBytes?: string; delay?: string; rate?: string; for?: string }): S3FaultRequest {
  if (!(S3_FAULT_MODES as readonly string[]).includes(mode)) throw new Error(`unknown S3 fault ${JSON.stringify(mode)}: use stop, start, errors, drop, slow, missing-bucket or clear`);
  const number = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got ${JSON.stringify(text)}`);
    return value;
  };
  const fault =
    mode === "errors"
      ? { mode, status: number("status", options.status) }
      : mode === "drop"
        ? { mode, afterBytes: number("after-bytes", options.afterBytes) }
        : mode === "slow"
          ? { mode, delayMs: (number("delay", options.delay) ?? 30) * 1000 }
          : { mode };
  const parsed = S3FaultRequestSchema.safeParse({ fault, rate: number("rate", options.rate), forSeconds: number("for", options.for) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`s3 fault ${mode}: ${issue?.path.join(".") || "mode"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}
