/** A DatabaseCluster as the API server returns it, for the builders' unit tests. */
import { effectiveSpec, type DatabaseCluster } from "../../../shared/api/index.js";
import type { BuildInput } from "./common.js";

export function testInput(spec: Partial<DatabaseCluster["spec"]> = {}, status?: DatabaseCluster["status"], annotations?: Record<string, string>): BuildInput {
  const cluster: DatabaseCluster = {
    apiVersion: "steward.dev/v1alpha1",
    kind: "DatabaseCluster",
    metadata: { name: "orders", namespace: "shop", uid: "7d3f0c1e-0000-4000-8000-000000000001", generation: 1, annotations },
    spec: { engine: "mysql", flavor: "mariadb", version: "10.11", replicas: 3, storage: { size: "10Gi" }, failover: { delaySeconds: 5, dataLoss: "none" }, paused: false, allowScaleDown: false, deletionPolicy: "RetainData", ...spec } as DatabaseCluster["spec"],
    status,
  };
  return { cluster, spec: effectiveSpec(cluster) };
}
