/**
 * The browser's door to the console server: JSON over fetch with the session's CSRF token on
 * every mutating call, and answers read with the same zod schemas as the CRDs.
 */
import { z } from "zod";
import { backupStorage, databaseBackup, databaseCluster, databaseRestore } from "../../../shared/api/index.js";

export { databaseBackup, databaseCluster, databaseRestore, backupStorage };

let csrf = "";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly causes: { field: string; message: string }[],
  ) {
    super(message);
  }
}

const errorBody = z.looseObject({
  message: z.string().optional(),
  details: z.looseObject({ causes: z.array(z.looseObject({ field: z.string().optional(), message: z.string().optional() })).optional() }).nullish(),
});

export async function call<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") headers["x-steward-csrf"] = csrf;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  const json: unknown = await response.json().catch(() => ({}));
  if (!response.ok) {
    const parsed = errorBody.safeParse(json);
    const causes = (parsed.data?.details?.causes ?? []).map((cause) => ({ field: cause.field ?? "", message: cause.message ?? "" }));
    throw new ApiError(parsed.data?.message ?? `${method} ${path}: HTTP ${response.status}`, response.status, causes);
  }
  return schema.parse(json);
}

export const sessionInfo = z.object({ csrf: z.string(), auth: z.enum(["kubeconfig", "token"]), user: z.string().optional() });
export type SessionInfo = z.infer<typeof sessionInfo>;

export async function loadSession(): Promise<SessionInfo> {
  const info = await call("GET", "/api/session", sessionInfo);
  csrf = info.csrf;
  return info;
}

export async function signIn(token: string): Promise<SessionInfo> {
  const info = await call("POST", "/api/login", sessionInfo, { token });
  csrf = info.csrf;
  return info;
}

export async function signOut(): Promise<void> {
  await call("POST", "/api/logout", z.unknown());
}

export const anyObject = z.looseObject({ apiVersion: z.string(), kind: z.string(), metadata: z.looseObject({ name: z.string(), namespace: z.string().optional() }) });
export type AnyObject = z.infer<typeof anyObject>;

export const snapshotSchema = z.object({
  clusters: z.array(z.unknown()),
  backups: z.array(z.unknown()),
  restores: z.array(z.unknown()),
  denied: z.record(z.string(), z.string()),
});

export const timelineEvent = z.object({ type: z.string(), reason: z.string(), message: z.string(), at: z.string(), count: z.number(), object: z.string() });
export type TimelineEvent = z.infer<typeof timelineEvent>;

export const connectionDetails = z.object({
  secret: z.string(),
  host: z.string().optional(),
  port: z.string().optional(),
  username: z.string().optional(),
  database: z.string().optional(),
  readOnlyHost: z.string().optional(),
  uri: z.string().optional(),
  secretReadable: z.boolean(),
  reason: z.string().optional(),
});
export type ConnectionDetails = z.infer<typeof connectionDetails>;

export interface AccessCheck {
  verb: "get" | "list" | "watch" | "create" | "update" | "patch" | "delete";
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}
export const accessAnswers = z.array(z.object({ allowed: z.boolean(), reason: z.string() }));

export const storageTest = z.object({ ok: z.boolean(), message: z.string(), milliseconds: z.number() });

export const templateList = z.object({ installed: z.boolean(), items: z.array(anyObject), message: z.string().optional() });
