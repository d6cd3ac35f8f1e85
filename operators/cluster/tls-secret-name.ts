import type { DatabaseCluster } from "../../shared/api/index.js";

/**
 * The name of a cluster's certificate Secret. Apart from tls.ts, which brings the Kubernetes
 * client (~20 MiB of V8 heap): agents import this through their engine's Job target, and they
 * run with a 48 MiB heap (backup/agent/image.ts).
 */
export function tlsSecretName(cluster: Pick<DatabaseCluster, "metadata">): string {
  return `${cluster.metadata.name}-tls`;
}
