/**
 * Every engine's generated Secrets (`<cluster>-credentials`, RabbitMQ's Erlang cookie) are
 * ensured, not applied: existing values are never replaced (a regenerated password would lock
 * the operator out of its own cluster). Pods read them through secretKeyRef; no value ever
 * appears in an argument, a log line, an Event or the status.
 */
import type { EnsureSecretOptions } from "../../../shared/secrets.js";
import { clusterObject, type BuildInput } from "./build-input.js";

/** Options for ensureSecret of a Secret owned by the cluster, with what a new one gets. */
export function generatedSecretOptions(input: BuildInput, name: string, labels: Record<string, string>, generate: () => Record<string, string>): EnsureSecretOptions {
  return {
    namespace: input.cluster.metadata.namespace ?? "default",
    name,
    owner: clusterObject(input),
    labels,
    generate,
  };
}

export const REGENERATE_ADVICE = "delete it to have Steward generate a new one (only on a cluster without data)";

/** The Secret's values when every key is there; otherwise an error naming what is missing and what to do. */
export function requireKeys<K extends string>(values: Record<string, string>, keys: readonly K[], advice = REGENERATE_ADVICE): Record<K, string> {
  const missing = keys.filter((key) => !values[key]);
  if (missing.length > 0) throw new Error(`the credentials Secret lacks ${missing.join(", ")}; ${advice}`);
  return values as Record<K, string>;
}
