import type { RuntimeMetrics } from "../metrics.js";

export interface WorkQueueOptions {
  /** First retry delay after an error; doubles with each further error of the same key. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  metrics?: Pick<RuntimeMetrics, "workqueueDepth" | "workqueueAdds" | "workqueueRetries">;
}

/** Per-key exponential backoff: base, 2·base, 4·base, ... capped at max (client-go's ItemExponentialFailureRateLimiter). */
export function backoffDelay(failures: number, baseDelayMs: number, maxDelayMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(baseDelayMs * 2 ** Math.min(failures - 1, 52), maxDelayMs);
}

/**
 * client-go's work queue: keys, not events, so a burst of changes to one object collapses
 * into one reconcile. A key added while queued stays queued once; a key added while a worker
 * holds it is queued again once that worker calls done(), so no two workers ever hold the
 * same key and no change is missed.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  /** Keys that need processing: queued, or waiting for their current worker to finish. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private shuttingDown = false;
  private handOutScheduled = false;

  constructor(
    readonly name: string,
    private readonly options: WorkQueueOptions = {},
  ) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.options.metrics?.workqueueAdds.inc({ name: this.name });
    this.queue.push(key);
    this.scheduleHandOut();
  }

  /** Adds the key after a delay; of several pending delays for one key the earliest wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { at, timer });
  }

  /** Adds the key after its next backoff delay (the delay doubles with every call until forget). */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    this.options.metrics?.workqueueRetries.inc({ name: this.name });
    this.addAfter(key, backoffDelay(failures, this.baseDelayMs, this.maxDelayMs));
  }

  /** Resets the key's backoff: the next error starts again at the base delay. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to process (the caller must call done(key) after), or undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.queue.push(key);
      this.scheduleHandOut();
    }
  }

  get depth(): number {
    return this.queue.length;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops handing out keys: waiting and later get() calls return undefined; queued and delayed keys are dropped. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.queue.length = 0;
    this.updateDepth();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  private take(): string | undefined {
    const key = this.queue.shift();
    if (key === undefined) return undefined;
    this.dirty.delete(key);
    this.processing.add(key);
    this.updateDepth();
    return key;
  }

  /**
   * Waiting workers get keys on the next microtask, not inside add(): an informer handler
   * that adds one key twice in a row (new and old owner, say) must not start a reconcile
   * between the two adds and so cause a second one.
   */
  private scheduleHandOut(): void {
    this.updateDepth();
    if (this.handOutScheduled) return;
    this.handOutScheduled = true;
    queueMicrotask(() => {
      this.handOutScheduled = false;
      while (this.waiters.length > 0 && this.queue.length > 0) this.waiters.shift()!(this.take());
    });
  }

  private updateDepth(): void {
    this.options.metrics?.workqueueDepth.set({ name: this.name }, this.queue.length);
  }
}
