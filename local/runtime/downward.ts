import type { V1Container, V1ObjectFieldSelector, V1Pod, V1ResourceFieldSelector } from "@kubernetes/client-node";

/**
 * The downward API, shared by env (fieldRef, resourceFieldRef) and downwardAPI volume files:
 * what a pod may learn about itself. Formats follow the kubelet's (labels as `key="value"`
 * lines sorted by key; resource values rounded up in units of the divisor).
 */
export interface PodFacts {
  podIP?: string;
  hostIP: string;
  nodeName: string;
  /** Allocatable of the node, the value of an unset limit. */
  nodeAllocatable: { cpu: string; memory: string; "ephemeral-storage": string };
}

function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((key) => `${key}=${JSON.stringify(map![key])}`)
    .join("\n");
}

/** Resolves a fieldRef; undefined when the pod does not (yet) have the value. */
export function resolveFieldRef(pod: V1Pod, ref: V1ObjectFieldSelector, facts: PodFacts): string | undefined {
  const path = ref.fieldPath;
  const meta = pod.metadata ?? {};
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) return (keyed[1] === "labels" ? meta.labels : meta.annotations)?.[keyed[2]!];
  switch (path) {
    case "metadata.name":
      return meta.name;
    case "metadata.namespace":
      return meta.namespace;
    case "metadata.uid":
      return meta.uid;
    case "metadata.labels":
      return formatMap(meta.labels);
    case "metadata.annotations":
      return formatMap(meta.annotations);
    case "spec.nodeName":
      return pod.spec?.nodeName ?? facts.nodeName;
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "default";
    case "status.podIP":
    case "status.podIPs":
      return facts.podIP;
    case "status.hostIP":
    case "status.hostIPs":
      return facts.hostIP;
    default:
      throw new Error(`unsupported fieldRef.fieldPath ${path}`);
  }
}

const SUFFIXES: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/** A Kubernetes resource quantity ("500m", "1Gi", "2e3") as a number of base units. */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === "number") return quantity;
  const match = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(quantity.trim());
  const multiplier = match ? SUFFIXES[match[2]!] : undefined;
  if (!match || multiplier === undefined) throw new Error(`not a resource quantity: ${quantity}`);
  return Number(match[1]) * multiplier;
}

export function resolveResourceFieldRef(containers: V1Container[], ref: V1ResourceFieldSelector, facts: PodFacts, defaultContainer?: string): string {
  const containerName = ref.containerName ?? defaultContainer;
  const container = containers.find((c) => c.name === containerName);
  if (!container) throw new Error(`resourceFieldRef names unknown container ${containerName ?? "(none)"}`);
  const [kind, resource] = ref.resource.split(".") as ["limits" | "requests", "cpu" | "memory" | "ephemeral-storage"];
  const declared = container.resources?.[kind]?.[resource] ?? (kind === "requests" ? container.resources?.limits?.[resource] : undefined);
  // Unset limits are the node's allocatable, as on a real node.
  const value = parseQuantity(declared ?? (kind === "limits" ? facts.nodeAllocatable[resource] : "0"));
  const divisor = parseQuantity(ref.divisor ?? "1");
  return String(Math.ceil(value / divisor));
}
