import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeClient, KubeObject, ResourceType } from "../k8s/client.js";
import { controllerOf } from "../k8s/owner.js";
import { parseApiVersion } from "../k8s/resources.js";
import { rootLogger, type Logger } from "../log.js";
import type { RuntimeMetrics } from "../metrics.js";
import { OWNED_SELECTOR } from "../api/names.js";
import type { Informer } from "./informer.js";
import { InformerFactory, type ObjectCache } from "./informer-factory.js";
import { WorkQueue } from "./queue.js";

/**
 * "Waiting, not failing" (CloudNativePG's ErrNextLoop): the reconcile stopped early because
 * something it needs is not there yet. The key comes back after retryAfterMs, the error
 * backoff does not grow, and it is logged at debug rather than as an error.
 */
export class NextLoop extends Error {
  override readonly name = "NextLoop";
  constructor(
    message: string,
    readonly retryAfterMs = 1000,
  ) {
    super(message);
  }
}

export interface ReconcileRequest {
  namespace: string;
  name: string;
}

export interface ReconcileContext {
  /** Carries controller, namespace, name and reconcileID. */
  log: Logger;
  reconcileId: string;
  /** Aborted when leadership is lost or the manager stops: finish quickly, start nothing new. */
  signal: AbortSignal;
  /** The term's shared informer caches (what applyIfChanged compares with). */
  cache: ObjectCache;
}

/** requeueAfterMs: come back after this long (a poll); requeue: come back with the error backoff. */
export type ReconcileResult = { requeueAfterMs?: number; requeue?: boolean } | void;

export interface ControllerSpec {
  /** Lower-case name used in logs and metrics, e.g. "databasecluster". */
  name: string;
  /** The primary resource: its changes enqueue its own namespace/name. */
  for: ResourceType;
  /**
   * Child resources: their changes enqueue their controller owner when it is of kind `for`.
   * Only objects labelled app.kubernetes.io/managed-by=steward (OWNED_SELECTOR) are watched,
   * so thousands of unrelated Secrets and ConfigMaps are neither listed nor held in memory.
   */
  owns?: ResourceType[];
  watches?: { type: ResourceType; labelSelector?: string; mapToRequests: (obj: KubeObject) => ReconcileRequest[] }[];
  /** Watch only this namespace (tests run one operator per namespace). */
  namespace?: string;
  /** Workers; one key is never reconciled by two at once. Default 2. */
  concurrency?: number;
  /**
   * How often every object of kind `for` is reconciled again even without a change: a safety
   * net for a lost wake-up (every watch failure already relists and replays the difference),
   * not a poll. Default 10 minutes; 0 disables. Polls are requeueAfterMs.
   */
  resyncMs?: number;
  reconcile(request: ReconcileRequest, context: ReconcileContext): Promise<ReconcileResult>;
}

export interface ControllerDependencies {
  client: KubeClient;
  /** The term's shared informers; without it the controller keeps informers of its own. */
  informers?: InformerFactory;
  log?: Logger;
  metrics?: RuntimeMetrics;
  /** Work queue backoff (defaults 5 ms doubling to 60 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export function requestKey(request: ReconcileRequest): string {
  return `${request.namespace}/${request.name}`;
}

export function requestFromKey(key: string): ReconcileRequest {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

function sameGroup(apiVersion: string, type: ResourceType): boolean {
  return parseApiVersion(apiVersion).group === type.group;
}

/**
 * One controller: informers turn changes into namespace/name keys on a work queue, and
 * workers reconcile keys one at a time each. A Controller instance lives for one leadership
 * term; the Manager builds a fresh one for the next.
 */
export class Controller {
  readonly queue: WorkQueue;
  private readonly log: Logger;
  private readonly informers = new Set<Informer<KubeObject>>();
  private readonly factory: InformerFactory;
  private readonly ownFactory: boolean;
  private primary?: Informer<KubeObject>;
  private resyncTimer?: NodeJS.Timeout;
  private readonly abort = new AbortController();
  private workers: Promise<void>[] = [];
  private synced = false;
  private inFlight = 0;

  constructor(
    readonly spec: ControllerSpec,
    private readonly deps: ControllerDependencies,
  ) {
    this.log = (deps.log ?? rootLogger).child({ controller: spec.name });
    this.queue = new WorkQueue(spec.name, { baseDelayMs: deps.baseDelayMs, maxDelayMs: deps.maxDelayMs, metrics: deps.metrics });
    this.ownFactory = !deps.informers;
    this.factory = deps.informers ?? new InformerFactory(deps.client, this.log);
    this.setUpInformers();
  }

  /** Starts the informers, waits until they have listed, then starts the workers. */
  async start(): Promise<void> {
    // Stopped before it started (leadership lost while the previous term was ending): stay stopped.
    if (this.abort.signal.aborted) return;
    await Promise.all([...this.informers].map((informer) => this.factory.start(informer)));
    if (this.abort.signal.aborted) return;
    this.synced = true;
    const resyncMs = this.spec.resyncMs ?? 10 * 60_000;
    if (resyncMs > 0) this.resyncTimer = setInterval(() => this.resync(resyncMs), resyncMs);
    const concurrency = Math.max(1, this.spec.concurrency ?? 2);
    for (let i = 0; i < concurrency; i++) this.workers.push(this.work());
    this.log.debug(`started ${concurrency} workers`);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Reconciles running right now. */
  get active(): number {
    return this.inFlight;
  }

  /**
   * Aborts in-flight reconciles' signals, stops handing out keys and watching, and waits up
   * to graceMs for in-flight reconciles to return.
   */
  async stop(graceMs = 30_000): Promise<void> {
    this.abort.abort();
    this.queue.shutDown();
    clearInterval(this.resyncTimer);
    // Shared informers end with the term (the Manager stops the factory), not with one controller.
    if (this.ownFactory) this.factory.stop();
    const finished = Promise.allSettled(this.workers).then(() => true);
    const timedOut = new AbortController();
    const inTime = await Promise.race([finished, sleep(graceMs, false, { signal: timedOut.signal }).catch(() => true)]);
    timedOut.abort();
    if (!inTime) this.log.warn(`${this.inFlight} reconciles still running after ${graceMs} ms; stopping without them`);
  }

  private setUpInformers(): void {
    const { spec } = this;
    const enqueue = (request: ReconcileRequest) => this.queue.add(requestKey(request));
    const primary = this.informer(spec.for);
    this.primary = primary;
    const enqueueSelf = (object: KubeObject) => enqueue({ namespace: object.metadata.namespace ?? "", name: object.metadata.name });
    primary.on("add", enqueueSelf);
    primary.on("update", enqueueSelf);
    primary.on("delete", enqueueSelf);

    const enqueueOwner = (object: KubeObject | undefined) => {
      const owner = object && controllerOf(object);
      if (owner && owner.kind === spec.for.kind && sameGroup(owner.apiVersion, spec.for)) {
        enqueue({ namespace: object.metadata.namespace ?? "", name: owner.name });
      }
    };
    for (const type of spec.owns ?? []) {
      const informer = this.informer(type, OWNED_SELECTOR);
      informer.on("add", (object) => enqueueOwner(object));
      // A child that changed owner wakes both the old and the new one.
      informer.on("update", (object, old) => {
        enqueueOwner(object);
        enqueueOwner(old);
      });
      informer.on("delete", (object) => enqueueOwner(object));
    }

    for (const watch of spec.watches ?? []) {
      const informer = this.informer(watch.type, watch.labelSelector);
      const map = (object: KubeObject | undefined) => {
        if (!object) return;
        try {
          for (const request of watch.mapToRequests(object)) enqueue(request);
        } catch (error) {
          this.log.error({ err: error }, `mapping ${object.kind} ${object.metadata.name} to requests failed: ${(error as Error).message}`);
        }
      };
      informer.on("add", (object) => map(object));
      informer.on("update", (object, old) => {
        map(object);
        map(old);
      });
      informer.on("delete", (object) => map(object));
    }
  }

  private informer(type: ResourceType, labelSelector?: string): Informer<KubeObject> {
    const informer = this.factory.informer(type, { namespace: this.spec.namespace, labelSelector });
    this.informers.add(informer);
    return informer;
  }

  /**
   * Every cached primary object back on the queue, spread over a tenth of the period so a
   * thousand clusters do not all reconcile in the same second.
   */
  private resync(periodMs: number): void {
    const objects = this.primary?.list(this.spec.namespace) ?? [];
    for (const object of objects) {
      this.queue.addAfter(requestKey({ namespace: object.metadata.namespace ?? "", name: object.metadata.name }), Math.random() * (periodMs / 10));
    }
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.reconcileKey(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async reconcileKey(key: string): Promise<void> {
    const { spec, queue } = this;
    const metrics = this.deps.metrics;
    const controller = spec.name;
    const request = requestFromKey(key);
    const reconcileId = randomUUID();
    const log = this.log.child({ namespace: request.namespace, name: request.name, reconcileID: reconcileId });
    const endTimer = metrics?.reconcileTime.startTimer({ controller });
    this.inFlight++;
    metrics?.activeWorkers.inc({ controller });
    const count = (result: "success" | "error" | "requeue" | "requeue_after") => metrics?.reconcileTotal.inc({ controller, result });
    try {
      const result = await spec.reconcile(request, { log, reconcileId, signal: this.abort.signal, cache: this.factory });
      if (result?.requeue) {
        queue.addRateLimited(key);
        count("requeue");
      } else if (result?.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
        queue.forget(key);
        queue.addAfter(key, result.requeueAfterMs);
        count("requeue_after");
      } else {
        queue.forget(key);
        count("success");
      }
    } catch (error) {
      if (error instanceof NextLoop) {
        queue.forget(key);
        queue.addAfter(key, error.retryAfterMs);
        count("requeue_after");
        log.debug(`waiting: ${error.message}; looking again in ${error.retryAfterMs} ms`);
      } else if (this.abort.signal.aborted) {
        // Stopping or no longer leader: whoever leads next reconciles this key from scratch.
        log.debug(`reconcile ended while stopping: ${(error as Error).message}`);
      } else {
        queue.addRateLimited(key);
        count("error");
        metrics?.reconcileErrors.inc({ controller });
        log.error({ err: error, retries: queue.numRequeues(key) }, `reconciling ${key} failed: ${(error as Error).message}`);
      }
    } finally {
      this.inFlight--;
      metrics?.activeWorkers.dec({ controller });
      endTimer?.();
    }
  }
}
