import type { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import { FIELD_MANAGER } from "../api/common.js";
import { isNotFound } from "./errors.js";
import { apiVersionOf, knownResourceType, parseApiVersion, resourcePath, type ResourceType } from "./resources.js";
import { loadClusterAccess, type ClusterAccess } from "./kubeconfig.js";
import { KubeTransport, type HttpRequest } from "./transport.js";

export { KubeApiError, isAlreadyExists, isConflict, isGone, isNotFound } from "./errors.js";
export { RESOURCES, apiVersionOf, resourcePath, type ResourceType } from "./resources.js";

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    finalizers?: string[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    [k: string]: unknown;
  };
  [key: string]: unknown;
}

const ownerReferenceSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

/** What every object the API server returns has; the rest is passed through as it came. */
export const kubeObjectSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    generation: z.number().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    ownerReferences: z.array(ownerReferenceSchema).optional(),
    finalizers: z.array(z.string()).optional(),
    deletionTimestamp: z.string().optional(),
    creationTimestamp: z.string().optional(),
  }),
});

const listSchema = z.looseObject({
  metadata: z.looseObject({ resourceVersion: z.string().optional(), continue: z.string().optional() }),
  items: z.array(z.looseObject({ metadata: z.looseObject({}) })),
});

const discoverySchema = z.looseObject({
  resources: z.array(z.looseObject({ name: z.string(), kind: z.string(), namespaced: z.boolean() })),
});

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

/** For ERROR events `object` is the Status (code 410 means "list again"); for BOOKMARK only metadata.resourceVersion is meaningful. */
export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

const watchEventSchema = z.object({
  type: z.enum(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]),
  object: z.looseObject({ metadata: z.looseObject({}).optional() }),
});

export interface ApplyOptions {
  /** Take over fields another manager owns (default true: the operator is the authority on what it applies). */
  force?: boolean;
  fieldManager?: string;
  signal?: AbortSignal;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** create only: the API server runs admission and validation and stores nothing (?dryRun=All). */
  dryRun?: boolean;
}

export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  signal?: AbortSignal;
  allowBookmarks?: boolean;
  /** Asks the server to end the stream after this long (the caller then watches again from the last resourceVersion). */
  timeoutSeconds?: number;
}

export interface DeleteOptions extends RequestOptions {
  propagationPolicy?: "Foreground" | "Background" | "Orphan";
  /** Delete only if the object still has this uid (not a newer object with the same name). */
  uid?: string;
  gracePeriodSeconds?: number;
}

const LIST_PAGE_SIZE = 500;

function parseObject<T extends KubeObject>(value: unknown): T {
  return kubeObjectSchema.parse(value) as T;
}

/**
 * The operator's door to the API server: typed JSON over the kubeconfig's connection,
 * errors that carry the server's message, server-side apply with field manager "steward".
 */
export class KubeClient {
  private readonly transport: KubeTransport;
  private readonly discovered = new Map<string, ResourceType>();

  constructor(config: ClusterAccess | KubeConfig) {
    this.transport = new KubeTransport(config);
  }

  /** file, else $KUBECONFIG, else the pod's service account when in a cluster, else ~/.kube/config. */
  static fromKubeconfig(file?: string): KubeClient {
    return new KubeClient(loadClusterAccess(file));
  }

  /** The API server and credentials this client uses (and the context's namespace). */
  get access(): ClusterAccess {
    return this.transport.access;
  }

  async get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, options: RequestOptions = {}): Promise<T | undefined> {
    try {
      return parseObject<T>(await this.call({ method: "GET", path: resourcePath(type, namespace, name), signal: options.signal }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Every matching object (following pages), each with apiVersion and kind filled in. */
  async list<T extends KubeObject>(
    type: ResourceType,
    namespace?: string,
    options: { labelSelector?: string; fieldSelector?: string; signal?: AbortSignal } = {},
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let resourceVersion = "";
    let continueToken: string | undefined;
    do {
      const page = listSchema.parse(
        await this.call({
          method: "GET",
          path: resourcePath(type, namespace),
          query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: LIST_PAGE_SIZE, continue: continueToken },
          signal: options.signal,
        }),
      );
      for (const item of page.items) items.push(parseObject<T>({ apiVersion: apiVersionOf(type), kind: type.kind, ...item }));
      resourceVersion = page.metadata.resourceVersion ?? resourceVersion;
      continueToken = page.metadata.continue || undefined;
    } while (continueToken);
    return { items, resourceVersion };
  }

  /** Server-side apply: the object states every field Steward manages; fields it no longer states are removed. */
  async apply<T extends KubeObject>(object: KubeObject, options: ApplyOptions = {}): Promise<T> {
    return this.applyTo<T>(object, undefined, options);
  }

  /** Server-side apply of the status subresource. */
  async applyStatus<T extends KubeObject>(object: KubeObject, options: ApplyOptions = {}): Promise<T> {
    return this.applyTo<T>(object, "status", options);
  }

  async create<T extends KubeObject>(object: KubeObject, options: RequestOptions = {}): Promise<T> {
    const type = await this.resourceTypeOf(object);
    const body = { ...object, metadata: withoutManagedFields(object.metadata) };
    const path = resourcePath(type, this.namespaceOf(type, object)) + (options.dryRun ? "?dryRun=All" : "");
    return parseObject<T>(await this.call({ method: "POST", path, body, signal: options.signal }));
  }

  /** PUT: refused with a conflict when metadata.resourceVersion is set and no longer current. */
  async replace<T extends KubeObject>(object: KubeObject, options: RequestOptions & { subresource?: "status" } = {}): Promise<T> {
    const type = await this.resourceTypeOf(object);
    const path = resourcePath(type, this.namespaceOf(type, object), object.metadata.name, options.subresource);
    return parseObject<T>(await this.call({ method: "PUT", path, body: object, signal: options.signal }));
  }

  async mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options: RequestOptions & { subresource?: "status" } = {},
  ): Promise<T> {
    const path = resourcePath(type, namespace, name, options.subresource);
    return parseObject<T>(await this.call({ method: "PATCH", path, body: patch, contentType: "application/merge-patch+json", signal: options.signal }));
  }

  async jsonPatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    operations: unknown[],
    options: RequestOptions & { subresource?: "status" } = {},
  ): Promise<T> {
    const path = resourcePath(type, namespace, name, options.subresource);
    return parseObject<T>(await this.call({ method: "PATCH", path, body: operations, contentType: "application/json-patch+json", signal: options.signal }));
  }

  /** Returns false when there was nothing to delete. */
  async delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<boolean> {
    const body = {
      apiVersion: "v1",
      kind: "DeleteOptions",
      propagationPolicy: options.propagationPolicy,
      gracePeriodSeconds: options.gracePeriodSeconds,
      preconditions: options.uid ? { uid: options.uid } : undefined,
    };
    try {
      await this.call({ method: "DELETE", path: resourcePath(type, namespace, name), body, signal: options.signal });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /**
   * One watch stream. Resolves when the stream ends (the server closed it, or the signal
   * aborted it); rejects when the connection fails. An ERROR event whose Status has code 410
   * means the resourceVersion is too old: list again.
   */
  async watch(type: ResourceType, namespace: string | undefined, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<void> {
    const timeoutSeconds = options.timeoutSeconds;
    const request: HttpRequest = {
      method: "GET",
      path: resourcePath(type, namespace),
      query: {
        watch: true,
        resourceVersion: options.resourceVersion,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        allowWatchBookmarks: options.allowBookmarks ?? true,
        timeoutSeconds,
      },
      signal: options.signal,
    };
    // With a server-side timeout the stream should end by itself; silence well past it means a dead connection.
    const bodyTimeoutMs = timeoutSeconds ? (timeoutSeconds + 60) * 1000 : 0;
    await this.transport.streamLines(request, bodyTimeoutMs, (line) => {
      const event = watchEventSchema.parse(JSON.parse(line));
      const raw = event.object as Record<string, unknown> & { metadata?: Record<string, unknown> };
      if (event.type === "ERROR" || event.type === "BOOKMARK") {
        // Neither a Status nor a bookmark has a name; give them the KubeObject shape anyway.
        onEvent({ type: event.type, object: { apiVersion: "v1", kind: "Status", ...raw, metadata: { name: "", ...raw.metadata } } as KubeObject });
        return;
      }
      onEvent({ type: event.type, object: parseObject({ apiVersion: apiVersionOf(type), kind: type.kind, ...raw }) });
    });
  }

  /** A GET whose answer is text, not JSON: the API server's /metrics. */
  getText(path: string): Promise<string> {
    return this.transport.text(path);
  }

  /** Requests this client sent, by verb (GET, LIST, WATCH, APPLY, PATCH, POST, PUT, DELETE). */
  requestCounts(): ReadonlyMap<string, number> {
    return this.transport.requestCounts;
  }

  /** Closes the client's pooled connections. */
  async close(): Promise<void> {
    await this.transport.close();
  }

  /** The type for an object's apiVersion and kind: the well-known list first, then API discovery. */
  async resourceTypeOf(object: Pick<KubeObject, "apiVersion" | "kind">): Promise<ResourceType> {
    const known = knownResourceType(object.apiVersion, object.kind);
    if (known) return known;
    const cacheKey = `${object.apiVersion}/${object.kind}`;
    const cached = this.discovered.get(cacheKey);
    if (cached) return cached;
    const { group, version } = parseApiVersion(object.apiVersion);
    const path = group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
    const discovery = discoverySchema.parse(await this.call({ method: "GET", path }));
    const resource = discovery.resources.find((candidate) => candidate.kind === object.kind && !candidate.name.includes("/"));
    if (!resource) throw new Error(`the API server serves no kind ${object.kind} in ${object.apiVersion}`);
    const type: ResourceType = { group, version, kind: object.kind, plural: resource.name, namespaced: resource.namespaced };
    this.discovered.set(cacheKey, type);
    return type;
  }

  private async applyTo<T extends KubeObject>(object: KubeObject, subresource: "status" | undefined, options: ApplyOptions): Promise<T> {
    const type = await this.resourceTypeOf(object);
    const path = resourcePath(type, this.namespaceOf(type, object), object.metadata.name, subresource);
    const body = { ...object, metadata: withoutManagedFields(object.metadata) };
    const query = { fieldManager: options.fieldManager ?? FIELD_MANAGER, force: options.force ?? true };
    // JSON is YAML, and the apply content type is the YAML one.
    return parseObject<T>(await this.call({ method: "PATCH", path, query, body, contentType: "application/apply-patch+yaml", signal: options.signal }));
  }

  private namespaceOf(type: ResourceType, object: KubeObject): string | undefined {
    if (!type.namespaced) return undefined;
    const namespace = object.metadata.namespace;
    if (!namespace) throw new Error(`${object.kind} ${object.metadata.name} needs metadata.namespace`);
    return namespace;
  }

  private call(request: HttpRequest): Promise<unknown> {
    return this.transport.json(request);
  }
}

function withoutManagedFields(metadata: KubeObject["metadata"]): KubeObject["metadata"] {
  if (!("managedFields" in metadata)) return metadata;
  const { managedFields: _managedFields, ...rest } = metadata;
  return rest as KubeObject["metadata"];
}
