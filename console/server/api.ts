import { z } from "zod";
import {
  ANNOTATIONS,
  API_VERSION,
  LABELS,
  databaseBackupSpec,
  databaseCluster,
  databaseRestoreSpec,
  effectiveSpec,
} from "../../shared/api/index.js";
import { RESOURCES, type KubeObject, type ResourceType } from "../../shared/k8s/client.js";
import { KubeApiError, isNotFound } from "../../shared/k8s/errors.js";
import { HttpError } from "./http.js";
import type { UserApi } from "./identity.js";

/**
 * What the browser asks the console for, each done with the user's own credentials. The
 * console validates input with the same zod schemas as the CRDs (a quick, clear refusal) and
 * the API server then decides with RBAC, CEL and admission as for kubectl.
 */

/** Kinds the pages show live, by the key the browser uses. */
export const LIVE_KINDS = { clusters: RESOURCES.DatabaseCluster, backups: RESOURCES.DatabaseBackup, restores: RESOURCES.DatabaseRestore } as const;
export type LiveKind = keyof typeof LIVE_KINDS;

/** The app catalog's kind (cluster-scoped); served only once its CRD is installed. */
export const TEMPLATE_TYPE: ResourceType = RESOURCES.DatabaseTemplate;

/** Objects as the browser gets them: managedFields are bulky and never shown. */
export function slim(object: KubeObject): KubeObject {
  if (!("managedFields" in object.metadata)) return object;
  const { managedFields: _managedFields, ...metadata } = object.metadata;
  return { ...object, metadata: metadata as KubeObject["metadata"] };
}

export interface Snapshot {
  clusters: KubeObject[];
  backups: KubeObject[];
  restores: KubeObject[];
  /** Kinds the user may not list across namespaces, with the API server's message. */
  denied: Partial<Record<LiveKind, string>>;
}

export async function snapshot(api: UserApi, namespaces: string[] = []): Promise<Snapshot> {
  const result: Snapshot = { clusters: [], backups: [], restores: [], denied: {} };
  const scopes = namespaces.length > 0 ? namespaces : [undefined];
  await Promise.all(
    (Object.keys(LIVE_KINDS) as LiveKind[]).map(async (kind) => {
      try {
        for (const namespace of scopes) result[kind].push(...(await api.client.list(LIVE_KINDS[kind], namespace)).items.map(slim));
      } catch (error) {
        if (!(error instanceof KubeApiError) || error.statusCode !== 403) throw error;
        result.denied[kind] = error.message;
      }
    }),
  );
  return result;
}

const coreEvent = z.looseObject({
  type: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  count: z.number().optional(),
  lastTimestamp: z.string().nullish(),
  eventTime: z.string().nullish(),
  firstTimestamp: z.string().nullish(),
  metadata: z.looseObject({ creationTimestamp: z.string().optional() }),
  involvedObject: z.looseObject({ kind: z.string().optional(), name: z.string().optional() }),
});

export interface TimelineEvent {
  type: string;
  reason: string;
  message: string;
  at: string;
  count: number;
  object: string;
}

/** The cluster's Events, newest first: what the operator did and why (failovers, backups, restores). */
export async function clusterEvents(api: UserApi, namespace: string, name: string): Promise<TimelineEvent[]> {
  const list = await api.client.list(RESOURCES.CoreEvent, namespace, { fieldSelector: `involvedObject.name=${name}` });
  return list.items
    .map((item) => coreEvent.parse(item))
    .map((event) => ({
      type: event.type ?? "Normal",
      reason: event.reason ?? "",
      message: event.message ?? "",
      at: event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp ?? "",
      count: event.count ?? 1,
      object: `${event.involvedObject.kind ?? ""}/${event.involvedObject.name ?? ""}`,
    }))
    .sort((a, b) => b.at.localeCompare(a.at));
}

export interface ConnectionDetails {
  secret: string;
  host?: string;
  port?: string;
  username?: string;
  database?: string;
  readOnlyHost?: string;
  /** The URI with the password replaced by "********". */
  uri?: string;
  /** False when the user may not read the connection Secret: the password cannot be revealed. */
  secretReadable: boolean;
  reason?: string;
}

async function readSecretData(api: UserApi, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  const secret = await api.client.get(RESOURCES.Secret, namespace, name);
  if (!secret) return undefined;
  const data = z.record(z.string(), z.string()).parse((secret as { data?: unknown }).data ?? {});
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]));
}

export function maskUri(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, "$1********@");
}

/** Connection details without the password: from the Secret when readable, else from the cluster's status. */
export async function connectionDetails(api: UserApi, namespace: string, name: string): Promise<ConnectionDetails> {
  const raw = await api.client.get(RESOURCES.DatabaseCluster, namespace, name);
  if (!raw) throw new HttpError(404, `DatabaseCluster ${name} not found in namespace ${namespace}`);
  const cluster = databaseCluster.parse(raw);
  const secret = cluster.status?.connectionSecret ?? `${name}-conn`;
  try {
    const values = await readSecretData(api, namespace, secret);
    if (values) {
      return { secret, host: values.host, port: values.port, username: values.username, database: values.database, readOnlyHost: values.readOnlyHost, uri: values.uri ? maskUri(values.uri) : undefined, secretReadable: true };
    }
  } catch (error) {
    if (!(error instanceof KubeApiError) || error.statusCode !== 403) throw error;
    const spec = effectiveSpec(cluster);
    const [host, port] = (cluster.status?.endpoints?.primary ?? "").split(":");
    return { secret, host, port, username: spec.username, database: spec.database, secretReadable: false, reason: error.message };
  }
  return { secret, secretReadable: false, reason: `the connection Secret ${secret} does not exist yet` };
}

export async function revealPassword(api: UserApi, namespace: string, name: string): Promise<string> {
  const details = await connectionDetails(api, namespace, name);
  if (!details.secretReadable) throw new HttpError(403, details.reason ?? "the connection Secret cannot be read");
  const values = await readSecretData(api, namespace, details.secret);
  if (!values?.password) throw new HttpError(404, `the connection Secret ${details.secret} has no password`);
  return values.password;
}

const namespaceName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63);

export const backupRequest = z.strictObject({ namespace: namespaceName, cluster: z.string().min(1).max(63) });

/** Names like orders-20261206-041503: sortable and readable in kubectl. */
export function backupName(cluster: string, now: Date): string {
  return `${cluster}-${now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}`;
}

export async function createBackup(api: UserApi, body: unknown, now = new Date()): Promise<KubeObject> {
  const request = backupRequest.parse(body);
  const spec = databaseBackupSpec.parse({ cluster: request.cluster });
  return slim(
    await api.client.create({
      apiVersion: API_VERSION,
      kind: "DatabaseBackup",
      metadata: { name: backupName(request.cluster, now), namespace: request.namespace, labels: { [LABELS.cluster]: request.cluster } },
      spec: { cluster: spec.cluster },
    }),
  );
}

export const restoreRequest = z.strictObject({
  namespace: namespaceName,
  name: namespaceName,
  spec: databaseRestoreSpec,
  /** For an in-place restore: the cluster's name, typed by the user. */
  confirmName: z.string().optional(),
});

/**
 * Creates a DatabaseRestore. An in-place restore is refused here unless the user typed the
 * name of the cluster it overwrites (the CRD also needs confirmOverwrite, which this sets).
 */
export async function createRestore(api: UserApi, body: unknown): Promise<KubeObject> {
  const request = restoreRequest.parse(body);
  const spec = request.spec;
  if (spec.target.inPlace) {
    let source = spec.source.cluster;
    if (spec.source.backup) {
      const backup = await api.client.get(RESOURCES.DatabaseBackup, request.namespace, spec.source.backup);
      source = (backup as { spec?: { cluster?: string } } | undefined)?.spec?.cluster;
    }
    if (!source || request.confirmName !== source) {
      throw new HttpError(400, `an in-place restore overwrites ${source ?? "the cluster"}'s data: type the cluster's name to confirm`, { causes: [{ field: "confirmName", message: "must be the cluster's name" }] });
    }
    spec.target.confirmOverwrite = true;
  }
  return slim(await api.client.create({ apiVersion: API_VERSION, kind: "DatabaseRestore", metadata: { name: request.name, namespace: request.namespace }, spec }));
}

export const clusterChange = z.strictObject({
  replicas: z.int().min(1).max(15).optional(),
  storageSize: z.string().regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/, "a quantity such as 20Gi").optional(),
  /** A pod name, or "auto" for the most advanced healthy replica. */
  switchover: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).optional(),
});

/** Scale, grow storage or ask for a switchover: a merge patch the API server checks (storage never shrinks, by CEL). */
export async function changeCluster(api: UserApi, namespace: string, name: string, body: unknown): Promise<KubeObject> {
  const change = clusterChange.parse(body);
  const patch: Record<string, unknown> = {};
  const spec: Record<string, unknown> = {};
  if (change.replicas !== undefined) spec.replicas = change.replicas;
  if (change.storageSize !== undefined) spec.storage = { size: change.storageSize };
  if (Object.keys(spec).length > 0) patch.spec = spec;
  if (change.switchover) patch.metadata = { annotations: { [ANNOTATIONS.switchover]: change.switchover } };
  if (Object.keys(patch).length === 0) throw new HttpError(400, "nothing to change");
  return slim(await api.client.mergePatch(RESOURCES.DatabaseCluster, namespace, name, patch));
}

export const accessCheck = z.strictObject({
  verb: z.enum(["get", "list", "watch", "create", "update", "patch", "delete"]),
  group: z.string().max(253),
  resource: z.string().min(1).max(253),
  namespace: z.string().max(63).optional(),
  name: z.string().max(253).optional(),
  subresource: z.string().max(63).optional(),
});
export type AccessCheck = z.infer<typeof accessCheck>;

const accessReview = z.object({ status: z.looseObject({ allowed: z.boolean(), denied: z.boolean().optional(), reason: z.string().optional() }).optional() });

/** SelfSubjectAccessReviews: what the API server would allow this user, so buttons can say why they are off. */
export async function checkAccess(api: UserApi, body: unknown): Promise<{ allowed: boolean; reason: string }[]> {
  const checks = z.array(accessCheck).max(50).parse(body);
  return Promise.all(
    checks.map(async (check) => {
      const answer = accessReview.parse(
        await api.raw({
          method: "POST",
          path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
          body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: check } },
        }),
      );
      const allowed = answer.status?.allowed ?? false;
      const where = check.namespace ? ` in namespace ${check.namespace}` : "";
      const what = `${check.resource}${check.subresource ? `/${check.subresource}` : ""}${check.name ? ` ${check.name}` : ""}`;
      return { allowed, reason: allowed ? "" : `${api.username} may not ${check.verb} ${what}${where}${answer.status?.reason ? ` (${answer.status.reason})` : ""}` };
    }),
  );
}

export { isNotFound };

/** `?namespaces=a,b` of the live stream and the snapshot: DNS labels only, at most 20. */
export function namespacesParameter(url: URL): string[] {
  const names = (url.searchParams.get("namespaces") ?? "").split(",").map((name) => name.trim()).filter(Boolean);
  if (names.length > 20 || names.some((name) => !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name))) throw new HttpError(400, "namespaces must be up to 20 namespace names, comma-separated");
  return [...new Set(names)];
}
