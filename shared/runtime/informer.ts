import { setTimeout as sleep } from "node:timers/promises";
import { isGone, kubeStatusSchema } from "../k8s/errors.js";
import type { KubeClient, KubeObject, ResourceType, WatchEvent } from "../k8s/client.js";
import { rootLogger, type Logger } from "../log.js";

export type InformerEvent = "add" | "update" | "delete";
type Handler<T> = (obj: T, old?: T) => void;

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Every this often, "update" is emitted for every cached object, so lost wake-ups heal. 0 disables. */
  resyncMs?: number;
  log?: Logger;
  /** Reconnect backoff after a failure: first delay, doubling up to the max. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long the server keeps one watch open; default a random 5-10 minutes, as client-go asks. */
  watchTimeoutSeconds?: number;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/**
 * The cache keeps objects without metadata.managedFields, as controller-runtime's does: they
 * are often the largest part of an object, and nothing reads them from a cache.
 */
function trimmed<T extends KubeObject>(object: T): T {
  if (!("managedFields" in object.metadata)) return object;
  const { managedFields: _managedFields, ...metadata } = object.metadata;
  return { ...object, metadata } as T;
}

function keyOf(object: KubeObject): string {
  return objectKey(object.metadata.namespace, object.metadata.name);
}

export interface RelistChanges<T> {
  added: T[];
  updated: { object: T; old: T }[];
  deleted: T[];
}

/**
 * What a fresh list means for a cache: new objects, objects whose resourceVersion moved, and
 * cached objects the list no longer has (deleted while we were not watching).
 */
export function diffRelist<T extends KubeObject>(cache: ReadonlyMap<string, T>, items: readonly T[]): RelistChanges<T> {
  const changes: RelistChanges<T> = { added: [], updated: [], deleted: [] };
  const seen = new Set<string>();
  for (const object of items) {
    const key = keyOf(object);
    seen.add(key);
    const old = cache.get(key);
    if (!old) changes.added.push(object);
    else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) changes.updated.push({ object, old });
  }
  for (const [key, old] of cache) if (!seen.has(key)) changes.deleted.push(old);
  return changes;
}

/** The watch told us our resourceVersion is too old: list again. */
class WatchExpired extends Error {}

// A random 5-10 minutes per watch spreads the reconnects of many informers.
function randomWatchTimeoutSeconds(): number {
  return 300 + Math.floor(Math.random() * 300);
}

/**
 * A local, always-current copy of one resource type (list, then watch), that calls handlers
 * on every change. It never dies: when a watch ends it watches again from the last
 * resourceVersion; when it fails it lists again after a backoff (1 s doubling to 30 s),
 * emitting "delete" for whatever vanished meanwhile; a 410 from the server relists at once.
 */
export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: Record<InformerEvent, Handler<T>[]> = { add: [], update: [], delete: [] };
  private readonly log: Logger;
  private abort = new AbortController();
  private synced = false;
  private running?: Promise<void>;
  private resyncTimer?: NodeJS.Timeout;
  private resourceVersion = "";
  private syncWaiters: (() => void)[] = [];
  private lists = 0;

  constructor(
    private readonly client: KubeClient,
    readonly type: ResourceType,
    private readonly options: InformerOptions = {},
  ) {
    this.log = (options.log ?? rootLogger).child({ informer: type.kind, namespace: options.namespace });
  }

  on(event: InformerEvent, handler: Handler<T>): void {
    this.handlers[event].push(handler);
  }

  /** Starts listing and watching; resolves once the first list is in the cache (or stop() is called first). */
  start(): Promise<void> {
    if (!this.running) {
      this.abort = new AbortController();
      this.running = this.run(this.abort.signal);
      const resyncMs = this.options.resyncMs ?? 0;
      if (resyncMs > 0) this.resyncTimer = setInterval(() => this.resync(), resyncMs);
    }
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Stops watching; the cache keeps its last contents. */
  stop(): void {
    this.abort.abort();
    clearInterval(this.resyncTimer);
    for (const waiter of this.syncWaiters.splice(0)) waiter();
    this.running = undefined;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** The one namespace watched, or undefined for every namespace. */
  get namespace(): string | undefined {
    return this.options.namespace;
  }

  /** The label selector of the watch, if any. */
  get labelSelector(): string | undefined {
    return this.options.labelSelector;
  }

  /** How many times the informer has listed (1 after the first sync; more after failures or a 410). */
  get listCount(): number {
    return this.lists;
  }

  /**
   * Test hook: the next watch resumes from `resourceVersion`, as it would after a long
   * absence, so a test can make the real API server answer 410 Gone.
   */
  rewindForTest(resourceVersion: string): void {
    this.resourceVersion = resourceVersion;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(objectKey(namespace, name));
  }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((object) => object.metadata.namespace === namespace);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const minBackoffMs = this.options.minBackoffMs ?? 1000;
    const maxBackoffMs = this.options.maxBackoffMs ?? 30_000;
    let backoffMs = minBackoffMs;
    let needList = true;
    while (!signal.aborted) {
      let watching = false;
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
        }
        watching = true;
        const startedAt = Date.now();
        const delivered = await this.watchOnce(signal);
        // A watch that ran a while or carried events was healthy; one that ended at once was not.
        if (delivered > 0 || Date.now() - startedAt > 10_000) backoffMs = minBackoffMs;
        else {
          await sleep(backoffMs, undefined, { signal }).catch(() => undefined);
          backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
        }
      } catch (error) {
        if (signal.aborted) break;
        needList = true;
        // Only a watch can be "too old"; a list that fails is a failure like any other.
        if (watching && (error instanceof WatchExpired || isGone(error))) {
          this.log.debug(`the watch of ${this.type.plural} expired (${(error as Error).message}); listing again`);
          continue;
        }
        this.log.warn({ err: error }, `the watch of ${this.type.plural} failed (${(error as Error).message}); listing again in ${backoffMs} ms`);
        await sleep(backoffMs, undefined, { signal }).catch(() => undefined);
        backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
      }
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const listed = await this.client.list<T>(this.type, this.options.namespace, {
      labelSelector: this.options.labelSelector,
      fieldSelector: this.options.fieldSelector,
      signal,
    });
    if (signal.aborted) return;
    this.lists++;
    const { resourceVersion } = listed;
    const items = listed.items.map(trimmed);
    const changes = diffRelist(this.cache, items);
    this.cache.clear();
    for (const object of items) this.cache.set(keyOf(object), object);
    this.resourceVersion = resourceVersion;
    for (const object of changes.added) this.emit("add", object);
    for (const { object, old } of changes.updated) this.emit("update", object, old);
    for (const old of changes.deleted) this.emit("delete", old);
    if (!this.synced) {
      this.synced = true;
      for (const waiter of this.syncWaiters.splice(0)) waiter();
    }
  }

  /** Watches from the last resourceVersion until the stream ends; returns how many events it applied. */
  private async watchOnce(signal: AbortSignal): Promise<number> {
    let delivered = 0;
    let failure: Error | undefined;
    const watchAbort = new AbortController();
    const onStop = () => watchAbort.abort();
    signal.addEventListener("abort", onStop, { once: true });
    try {
      await this.client.watch(
        this.type,
        this.options.namespace,
        {
          resourceVersion: this.resourceVersion,
          labelSelector: this.options.labelSelector,
          fieldSelector: this.options.fieldSelector,
          allowBookmarks: true,
          timeoutSeconds: this.options.watchTimeoutSeconds ?? randomWatchTimeoutSeconds(),
          signal: watchAbort.signal,
        },
        (event) => {
          if (failure) return;
          if (event.type === "ERROR") {
            const status = kubeStatusSchema.safeParse(event.object);
            const message = status.success ? (status.data.message ?? `code ${status.data.code}`) : "an unreadable error";
            failure = status.success && status.data.code === 410 ? new WatchExpired(message) : new Error(`the server ended the watch with ${message}`);
            watchAbort.abort();
            return;
          }
          delivered++;
          this.apply(event);
        },
      );
    } finally {
      signal.removeEventListener("abort", onStop);
    }
    if (failure) throw failure;
    return delivered;
  }

  private apply(event: WatchEvent): void {
    const object = trimmed(event.object as T);
    if (object.metadata.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
    if (event.type === "BOOKMARK") return;
    const key = keyOf(object);
    const old = this.cache.get(key);
    if (event.type === "DELETED") {
      this.cache.delete(key);
      this.emit("delete", object);
      return;
    }
    this.cache.set(key, object);
    if (old) this.emit("update", object, old);
    else this.emit("add", object);
  }

  private resync(): void {
    if (!this.synced) return;
    for (const object of this.cache.values()) this.emit("update", object, object);
  }

  private emit(event: InformerEvent, object: T, old?: T): void {
    for (const handler of this.handlers[event]) {
      try {
        handler(object, old);
      } catch (error) {
        this.log.error({ err: error }, `a ${event} handler for ${this.type.kind} ${keyOf(object)} threw: ${(error as Error).message}`);
      }
    }
  }
}
