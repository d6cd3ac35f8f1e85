/** A cluster as the API server returns it, for the builders' unit tests. */
import { databaseCluster, effectiveSpec, type DatabaseCluster } from "../../../shared/api/index.js";
import type { BuildInput } from "../../mysql/resources/common.js";

export function testInput(spec: Record<string, unknown> = {}, status?: DatabaseCluster["status"], annotations?: Record<string, string>): BuildInput {
  const cluster = databaseCluster.parse({
    apiVersion: "steward.dev/v1alpha1",
    kind: "DatabaseCluster",
    metadata: { name: "cache", namespace: "shop", uid: "1234-5678", annotations },
    spec: { engine: "redis", replicas: 3, ...spec },
    status,
  });
  return { cluster, spec: effectiveSpec(cluster) };
}

export const TEST_PASSWORDS = { operator: "operator-password-0123456789", replication: "replication-password-0123456789", app: "app-password-0123456789" };
