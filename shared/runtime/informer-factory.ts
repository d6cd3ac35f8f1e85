import type { KubeClient, KubeObject, ResourceType } from "../k8s/client.js";
import { rootLogger, type Logger } from "../log.js";
import { Informer } from "./informer.js";

/** What the controllers of one process read from the shared caches (see applyIfChanged). */
export interface ObjectCache {
  /** The cached object, or undefined when no informer of this type covers the namespace or it is not there. */
  cached(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined;
  /**
   * The cached objects of a namespace whose labels hold every pair of `labels`, from an
   * informer whose selector such objects always match; undefined when no synced informer
   * covers them (the caller then asks the API server).
   */
  cachedList(type: ResourceType, namespace: string, labels: Record<string, string>): KubeObject[] | undefined;
}

/** Whether every object with these labels matches the selector (terms `key`, `key=value`, `key==value`; others are not understood). */
export function selectorCovers(selector: string | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const match = /^\s*([^=!\s]+)\s*(?:==?\s*([^=\s]*))?\s*$/.exec(term);
    if (!match) return false;
    const [, key, value] = match;
    return key! in labels && (value === undefined || labels[key!] === value);
  });
}

export interface InformerRequest {
  namespace?: string;
  labelSelector?: string;
}

function informerKey(type: ResourceType, request: InformerRequest): string {
  const namespace = type.namespaced ? (request.namespace ?? "") : "";
  return `${type.group}/${type.kind}|${namespace}|${request.labelSelector ?? ""}`;
}

/**
 * One informer per (kind, namespace, label selector) for every controller of a leadership
 * term, as client-go's SharedInformerFactory: the cluster and backup controllers both react to
 * DatabaseClusters and Jobs, and two watches of the same objects would hold two copies of them
 * and cost the API server twice. Each controller adds its own handlers; the factory starts an
 * informer once, and stop() ends all of them with the term.
 */
export class InformerFactory implements ObjectCache {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger = rootLogger,
  ) {}

  informer(type: ResourceType, request: InformerRequest = {}): Informer<KubeObject> {
    const key = informerKey(type, request);
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer<KubeObject>(this.client, type, { namespace: type.namespaced ? request.namespace : undefined, labelSelector: request.labelSelector, log: this.log });
      this.informers.set(key, informer);
    }
    return informer;
  }

  /** Starts an informer of this factory (once) and resolves when its first list is cached; a stopped factory starts nothing. */
  start(informer: Informer<KubeObject>): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return informer.start();
  }

  cached(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    for (const informer of this.informers.values()) {
      if (informer.type.group !== type.group || informer.type.kind !== type.kind || !informer.hasSynced()) continue;
      const scope = informer.namespace;
      if (type.namespaced && scope !== undefined && scope !== namespace) continue;
      const object = informer.get(type.namespaced ? namespace : undefined, name);
      if (object) return object;
    }
    return undefined;
  }

  cachedList(type: ResourceType, namespace: string, labels: Record<string, string>): KubeObject[] | undefined {
    for (const informer of this.informers.values()) {
      if (informer.type.group !== type.group || informer.type.kind !== type.kind || !informer.hasSynced()) continue;
      if (informer.namespace !== undefined && informer.namespace !== namespace) continue;
      if (!selectorCovers(informer.labelSelector, labels)) continue;
      return informer.list(namespace).filter((object) => Object.entries(labels).every(([key, value]) => object.metadata.labels?.[key] === value));
    }
    return undefined;
  }

  /** How many informers (watches) the factory holds: one per kind, namespace and selector. */
  get size(): number {
    return this.informers.size;
  }

  stop(): void {
    this.stopped = true;
    for (const informer of this.informers.values()) informer.stop();
  }
}
