/**
 * Kubernetes resource quantities as numbers, for the decisions that compare or derive from them
 * (buffer pool and memory watermark from a memory limit, Erlang schedulers from a CPU limit,
 * volume growth). Hand-written: @kubernetes/client-node's quantityToScalar returns bigints for
 * suffixed values and refuses fractional ones such as 1.5Gi.
 */

const MEMORY_UNITS: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Bytes of a Kubernetes memory or storage quantity (10Gi, 512Mi, 1G, 1000000), or undefined when it is not one. */
export function quantityBytes(quantity: string | number | undefined): number | undefined {
  if (quantity === undefined) return undefined;
  const match = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity).trim());
  if (!match) return undefined;
  return Math.floor(Number(match[1]) * (match[2] ? MEMORY_UNITS[match[2]]! : 1));
}

/** Cores of a Kubernetes CPU quantity (2, 1.5, 500m), or undefined when it is not one. */
export function cpuCores(quantity: string | number | undefined): number | undefined {
  if (quantity === undefined) return undefined;
  const match = /^([0-9.]+)(m)?$/.exec(String(quantity).trim());
  if (!match) return undefined;
  return Number(match[1]) / (match[2] ? 1000 : 1);
}
