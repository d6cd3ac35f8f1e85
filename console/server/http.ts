import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { KubeApiError } from "../../shared/k8s/errors.js";

/**
 * The console's HTTP conventions: JSON in and out, every answer with the security headers,
 * API refusals passed to the browser with the API server's status and message (they name the
 * field and the rule), and bodies read with a size limit.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function securityHeaders(response: ServerResponse, tls: boolean): void {
  response.setHeader("content-security-policy", CONTENT_SECURITY_POLICY);
  response.setHeader("x-content-type-options", "nosniff");
  response.setHeader("referrer-policy", "no-referrer");
  response.setHeader("x-frame-options", "DENY");
  response.setHeader("cross-origin-opener-policy", "same-origin");
  response.setHeader("cross-origin-resource-policy", "same-origin");
  if (tls) response.setHeader("strict-transport-security", "max-age=31536000");
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  response.end(text);
}

/** A refusal to show the user: the API server's own words when it refused, else the error's. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function sendError(response: ServerResponse, error: unknown): void {
  if (error instanceof HttpError) return sendJson(response, error.status, { message: error.message, details: error.details });
  if (error instanceof KubeApiError) {
    const status = error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 502;
    const details = (error.status as { details?: unknown } | undefined)?.details;
    return sendJson(response, status, { message: error.message, reason: error.reason, details });
  }
  if (error instanceof z.ZodError) return sendJson(response, 400, { message: z.prettifyError(error), details: { causes: error.issues.map((issue) => ({ field: issue.path.join("."), message: issue.message })) } });
  sendJson(response, 500, { message: error instanceof Error ? error.message : String(error) });
}

const MAX_BODY = 1024 * 1024;

export async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, "request body over 1 MiB");
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "request body is not JSON");
  }
}
