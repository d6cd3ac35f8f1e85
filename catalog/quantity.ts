/**
 * Kubernetes quantities (10Gi, 500m, 1e3) as numbers, to compare a parameter with its minimum
 * client-side, so the CLI names the flag before the API server would refuse the same value.
 * A small table instead of @kubernetes/client-node's parser: that import alone costs ~80 MiB.
 */
const SUFFIXES: Record<string, number> = {
  "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

export function parseQuantity(value: string | number): number | undefined {
  if (typeof value === "number") return value;
  const match = /^([+-]?[0-9.]+)(?:[eE]([+-]?[0-9]+))?([a-zA-Z]*)$/.exec(value.trim());
  if (!match || !(match[3]! in SUFFIXES) || (match[2] && match[3])) return undefined;
  const number = Number(match[1]);
  if (Number.isNaN(number)) return undefined;
  return number * 10 ** Number(match[2] ?? 0) * SUFFIXES[match[3]!]!;
}
