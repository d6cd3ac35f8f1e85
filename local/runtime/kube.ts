import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  ListWatch,
  PatchStrategy,
  setHeaderOptions,
  StorageV1Api,
  Watch,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";

/** The typed API groups the runtime talks to, from one kubeconfig. */
export interface KubeClients {
  config: KubeConfig;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  storage: StorageV1Api;
  discovery: DiscoveryV1Api;
}

export function kubeClients(kubeconfig: string): KubeClients {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    coordination: config.makeApiClient(CoordinationV1Api),
    storage: config.makeApiClient(StorageV1Api),
    discovery: config.makeApiClient(DiscoveryV1Api),
  };
}

/** Request options that send a body as a JSON merge patch (arrays are replaced whole). */
export const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export function statusCode(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

export const isNotFound = (error: unknown): boolean => statusCode(error) === 404;
export const isConflict = (error: unknown): boolean => statusCode(error) === 409;

/**
 * Objects list-and-watched into a cache, calling onChange for every add, update and delete.
 * client-node's ListWatch stops for good on an error other than a 410 or a client timeout;
 * this restarts it after a second, as its documentation asks callers to do.
 */
export interface WatchedCache<T extends KubernetesObject> {
  list(namespace?: string): readonly T[];
  get(name: string, namespace?: string): T | undefined;
  stop(): Promise<void>;
}

export async function watchCache<T extends KubernetesObject>(
  config: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  onChange: (kind: "add" | "update" | "delete", object: T) => void,
  onError: (error: unknown) => void = () => {},
): Promise<WatchedCache<T>> {
  const informer = new ListWatch<T>(path, new Watch(config), list, false);
  let stopped = false;
  informer.on("add", (object) => onChange("add", object));
  informer.on("update", (object) => onChange("update", object));
  informer.on("delete", (object) => onChange("delete", object));
  informer.on("error", (error: unknown) => {
    if (stopped) return;
    onError(error);
    setTimeout(() => {
      if (!stopped) informer.start().catch(onError);
    }, 1000).unref();
  });
  await informer.start();
  return {
    list: (namespace) => informer.list(namespace),
    get: (name, namespace) => informer.get(name, namespace),
    stop: async () => {
      stopped = true;
      await informer.stop();
    },
  };
}

/** A timestamp as the API serves it: a string on watch events, a Date from typed list calls. */
export function toDate(value: Date | string | undefined | null): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
