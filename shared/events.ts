import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { RESOURCES, isNotFound, type KubeClient, type KubeObject } from "./k8s/client.js";
import { microTime } from "./k8s/time.js";
import { rootLogger, type Logger } from "./log.js";

/** Repeats within this window join one Event's series instead of making new Events (client-go uses a similar window). */
export const EVENT_SERIES_WINDOW_MS = 10 * 60_000;

const MAX_NOTE_BYTES = 1024;
const MAX_SHORT_FIELD = 128;

interface Series {
  namespace: string;
  name: string;
  count: number;
  lastObservedMs: number;
}

function truncateBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  // Cut on a character boundary: decoding a cut multi-byte sequence yields U+FFFD, which we drop.
  return bytes.subarray(0, maxBytes - 3).toString("utf8").replace(/\uFFFD$/, "") + "...";
}

/**
 * Records events.k8s.io/v1 Events about objects, for the people reading `kubectl describe`.
 * Messages are written in the past tense and name the object ("Promoted orders-1 to primary
 * after orders-0 was unreachable for 5s"). Recording never fails the caller: an Event that
 * cannot be written is logged at warn and dropped.
 */
export class EventRecorder {
  private readonly series = new Map<string, Series>();
  // One write at a time per (object, reason, message), so a burst of repeats builds one series.
  private readonly tails = new Map<string, Promise<void>>();
  private readonly instance: string;
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(
    private readonly client: KubeClient,
    readonly controller: string,
    instance?: string,
    options: { log?: Logger; now?: () => Date } = {},
  ) {
    this.instance = (instance ?? `${controller}-${hostname()}`).slice(0, MAX_SHORT_FIELD);
    this.log = options.log ?? rootLogger.child({ eventRecorder: controller });
    this.now = options.now ?? (() => new Date());
  }

  normal(regarding: KubeObject, reason: string, message: string, action?: string): Promise<void> {
    return this.record("Normal", regarding, reason, message, action);
  }

  warning(regarding: KubeObject, reason: string, message: string, action?: string): Promise<void> {
    return this.record("Warning", regarding, reason, message, action);
  }

  private record(type: "Normal" | "Warning", regarding: KubeObject, reason: string, message: string, action?: string): Promise<void> {
    const key = JSON.stringify([regarding.metadata.uid ?? `${regarding.kind}/${regarding.metadata.namespace}/${regarding.metadata.name}`, type, reason, message]);
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.write(key, type, regarding, reason, message, action ?? reason));
    this.tails.set(key, next);
    void next.then(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
    return next;
  }

  private async write(key: string, type: "Normal" | "Warning", regarding: KubeObject, reason: string, message: string, action: string): Promise<void> {
    const now = this.now();
    this.forgetOldSeries(now.getTime());
    const series = this.series.get(key);
    try {
      if (series) {
        series.count += 1;
        series.lastObservedMs = now.getTime();
        try {
          await this.client.mergePatch(RESOURCES.Event, series.namespace, series.name, { series: { count: series.count, lastObservedTime: microTime(now) } });
          return;
        } catch (error) {
          // The Event expired (the API server keeps them an hour) or was deleted: start anew.
          if (!isNotFound(error)) throw error;
          this.series.delete(key);
        }
      }
      const created = await this.client.create(this.buildEvent(type, regarding, reason, message, action, now));
      this.series.set(key, { namespace: created.metadata.namespace ?? "default", name: created.metadata.name, count: 1, lastObservedMs: now.getTime() });
    } catch (error) {
      this.log.warn(
        { err: error, kind: regarding.kind, namespace: regarding.metadata.namespace, name: regarding.metadata.name, reason },
        `could not record the ${reason} event for ${regarding.kind} ${regarding.metadata.name}: ${(error as Error).message}`,
      );
    }
  }

  private buildEvent(type: "Normal" | "Warning", regarding: KubeObject, reason: string, message: string, action: string, now: Date): KubeObject {
    const namespace = regarding.metadata.namespace ?? "default";
    // client-go names events <object>.<unique hex>; the object part is trimmed to keep within 253 characters.
    const name = `${regarding.metadata.name.slice(0, 200)}.${randomBytes(8).toString("hex")}`;
    return {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name, namespace },
      eventTime: microTime(now),
      reportingController: this.controller.slice(0, MAX_SHORT_FIELD),
      reportingInstance: this.instance,
      action: action.slice(0, MAX_SHORT_FIELD),
      reason: reason.slice(0, MAX_SHORT_FIELD),
      note: truncateBytes(message, MAX_NOTE_BYTES),
      type,
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: regarding.metadata.name,
        namespace: regarding.metadata.namespace,
        uid: regarding.metadata.uid,
        resourceVersion: regarding.metadata.resourceVersion,
      },
    };
  }

  private forgetOldSeries(nowMs: number): void {
    for (const [key, series] of this.series) if (nowMs - series.lastObservedMs > EVENT_SERIES_WINDOW_MS) this.series.delete(key);
  }
}
