import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { RESOURCES, isAlreadyExists, isConflict, type KubeClient, type KubeObject } from "../k8s/client.js";
import { rootLogger, type Logger } from "../log.js";
import { decideLease, observeLease, releasedRecord, type LeaseObservation, type LeaseRecord } from "./lease-decision.js";

export { decideLease, observeLease, releasedRecord, type ElectionState, type LeaseDecision, type LeaseObservation, type LeaseRecord } from "./lease-decision.js";

export interface LeaderElectorOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log?: Logger;
  /** A monotonic clock in ms (tests may drive their own). */
  clock?: () => number;
}

export interface LeaderCallbacks {
  /** We lead from now until `signal` aborts. */
  onStartedLeading(signal: AbortSignal): void;
  onStoppedLeading(): void;
  onNewLeader?(identity: string): void;
}

const leaseSchema = z.looseObject({
  metadata: z.looseObject({ resourceVersion: z.string().optional() }),
  spec: z
    .looseObject({
      holderIdentity: z.string().nullish(),
      leaseDurationSeconds: z.number().nullish(),
      acquireTime: z.string().nullish(),
      renewTime: z.string().nullish(),
      leaseTransitions: z.number().nullish(),
    })
    .optional(),
});

function recordOf(lease: KubeObject): LeaseRecord {
  const spec = leaseSchema.parse(lease).spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? undefined,
    leaseDurationSeconds: spec.leaseDurationSeconds ?? undefined,
    acquireTime: spec.acquireTime ?? undefined,
    renewTime: spec.renewTime ?? undefined,
    leaseTransitions: spec.leaseTransitions ?? undefined,
  };
}

type Attempt = "leading" | "not-leading" | "step-down";

/**
 * One campaign for a coordination.k8s.io/v1 Lease, with client-go's semantics: acquire when
 * the lease is free or we have seen it unchanged for its duration, renew every retryPeriod,
 * step down when no renew succeeded within renewDeadline, write only with the
 * resourceVersion we read. run() campaigns again after every loss until stop().
 */
export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly log: Logger;
  private readonly clock: () => number;
  private observation?: LeaseObservation;
  private lease?: KubeObject;
  private leading = false;
  private lastRenewMs?: number;
  private reportedLeader?: string;
  private readonly stopping = new AbortController();
  private running?: Promise<void>;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectorOptions,
  ) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs) throw new Error(`renewDeadlineMs (${this.renewDeadlineMs}) must be below leaseDurationMs (${this.leaseDurationMs})`);
    if (this.retryPeriodMs * 1.2 >= this.renewDeadlineMs) throw new Error(`retryPeriodMs (${this.retryPeriodMs}) must be well below renewDeadlineMs (${this.renewDeadlineMs})`);
    this.log = (options.log ?? rootLogger).child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
    this.clock = options.clock ?? (() => performance.now());
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns, leads, and campaigns again after a loss; resolves after stop(). */
  run(callbacks: LeaderCallbacks): Promise<void> {
    this.running ??= this.campaign(callbacks);
    return this.running;
  }

  /** Stops campaigning; gives the lease up (so another can take over at once) unless `release` is false. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.stopping.abort();
    await this.running;
    const held = this.lease && recordOf(this.lease).holderIdentity === this.options.identity;
    if (held && (options.release ?? true)) await this.release();
  }

  private async campaign(callbacks: LeaderCallbacks): Promise<void> {
    const stop = this.stopping.signal;
    while (!stop.aborted) {
      // Acquire: try every retryPeriod, jittered so that candidates do not collide.
      while (!stop.aborted && (await this.tryAcquireOrRenew(callbacks)) !== "leading") {
        await this.pause(this.retryPeriodMs * (1 + Math.random() * 0.2));
      }
      if (stop.aborted) break;
      this.leading = true;
      const term = new AbortController();
      this.log.info(`became the leader`);
      this.safely("onStartedLeading", () => callbacks.onStartedLeading(term.signal));
      // Renew until a renew deadline passes or we are stopped.
      while (!stop.aborted) {
        // Never sleep past the renew deadline: the step-down must happen on time.
        await this.pause(Math.min(this.retryPeriodMs, Math.max(0, (this.lastRenewMs ?? 0) + this.renewDeadlineMs - this.clock())));
        if (stop.aborted) break;
        if ((await this.tryAcquireOrRenew(callbacks)) === "step-down") break;
      }
      this.leading = false;
      term.abort();
      if (!stop.aborted) this.log.warn(`lost the leadership; campaigning again`);
      this.safely("onStoppedLeading", () => callbacks.onStoppedLeading());
    }
  }

  /** One read and (maybe) one write of the Lease, bounded so that a hung request cannot outlive our renew deadline. */
  private async tryAcquireOrRenew(callbacks: LeaderCallbacks): Promise<Attempt> {
    const startedMs = this.clock();
    const budgetMs = this.leading && this.lastRenewMs !== undefined ? this.lastRenewMs + this.renewDeadlineMs - startedMs : this.renewDeadlineMs;
    if (budgetMs <= 0) return this.stepDown(`no renewal succeeded within ${this.renewDeadlineMs} ms`);
    const signal = AbortSignal.any([AbortSignal.timeout(Math.ceil(budgetMs)), this.stopping.signal]);
    const { namespace, name, identity } = this.options;
    try {
      const lease = await this.client.get(RESOURCES.Lease, namespace, name, { signal });
      const record = lease ? recordOf(lease) : undefined;
      this.observation = observeLease(this.observation, record, this.clock());
      this.reportLeader(record?.holderIdentity, callbacks);
      const decision = decideLease(
        this.observation,
        { self: identity, leaseDurationMs: this.leaseDurationMs, renewDeadlineMs: this.renewDeadlineMs, leading: this.leading, lastRenewMs: this.lastRenewMs },
        this.clock(),
        new Date(),
      );
      switch (decision.action) {
        case "step-down":
          return this.stepDown(decision.reason);
        case "wait":
          return "not-leading";
        case "create":
          this.lease = await this.client.create({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace }, spec: decision.record }, { signal });
          break;
        case "acquire":
        case "renew":
          // The resourceVersion we read makes this write fail if anyone wrote in between; spec
          // fields we do not know (newer Kubernetes adds some) are kept as they were.
          this.lease = await this.client.replace({ ...lease!, spec: { ...(lease!.spec as object), ...decision.record } }, { signal });
          break;
      }
      this.lastRenewMs = startedMs;
      this.observation = observeLease(this.observation, recordOf(this.lease), this.clock());
      this.reportLeader(identity, callbacks);
      return "leading";
    } catch (error) {
      if (this.stopping.signal.aborted) return this.leading ? "leading" : "not-leading";
      const raced = isConflict(error) || isAlreadyExists(error);
      const message = `could not ${this.leading ? "renew" : "acquire"} the lease: ${(error as Error).message}`;
      if (raced) this.log.debug(message);
      else this.log.warn({ err: error }, message);
      if (this.leading && this.lastRenewMs !== undefined && this.clock() - this.lastRenewMs >= this.renewDeadlineMs) {
        return this.stepDown(`no renewal succeeded within ${this.renewDeadlineMs} ms`);
      }
      return this.leading ? "leading" : "not-leading";
    }
  }

  private stepDown(reason: string): Attempt {
    if (this.leading) this.log.warn(`stepping down: ${reason}`);
    return "step-down";
  }

  private reportLeader(holder: string | undefined, callbacks: LeaderCallbacks): void {
    if (!holder || holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    if (holder !== this.options.identity) this.log.info(`${holder} leads`);
    this.safely("onNewLeader", () => callbacks.onNewLeader?.(holder));
  }

  /** A throwing callback must not end the campaign (and with it every later leadership term). */
  private safely(name: string, callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.log.error({ err: error }, `the ${name} callback threw: ${(error as Error).message}`);
    }
  }

  /**
   * Gives the lease up. A conflict usually means a renew of ours that stop() cut short landed
   * after all (the server applied it, we never saw the answer): the lease is read again and
   * released when it is still ours. Someone else's lease is left alone.
   */
  private async release(): Promise<void> {
    const signal = AbortSignal.timeout(this.renewDeadlineMs);
    let lease = this.lease;
    for (let attempt = 1; lease; attempt++) {
      try {
        const spec = { ...(lease.spec as object), ...releasedRecord(recordOf(lease), new Date()) };
        await this.client.replace({ ...lease, spec }, { signal });
        this.log.info("released the lease");
        return;
      } catch (error) {
        if (!isConflict(error) || attempt >= 3) {
          this.log.warn({ err: error }, `could not release the lease: ${(error as Error).message}`);
          return;
        }
      }
      lease = await this.client.get(RESOURCES.Lease, this.options.namespace, this.options.name, { signal }).catch(() => undefined);
      if (lease && recordOf(lease).holderIdentity !== this.options.identity) {
        this.log.info(`not releasing the lease: ${recordOf(lease).holderIdentity ?? "nobody"} holds it now`);
        return;
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }
}
