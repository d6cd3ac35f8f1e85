/** A DatabaseCluster as the API server returns it, for the builders' unit tests. */
import type { DatabaseCluster } from "../../../shared/api/index.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { testBuildInput } from "../../../test/fixtures/build-input.js";

export function testInput(spec: Partial<DatabaseCluster["spec"]> = {}, status?: DatabaseCluster["status"], annotations?: Record<string, string>): BuildInput {
  return testBuildInput({
    name: "orders",
    uid: "7d3f0c1e-0000-4000-8000-000000000001",
    annotations,
    status,
    spec: { engine: "mysql", flavor: "mariadb", version: "10.11", replicas: 3, storage: { size: "10Gi" }, failover: { delaySeconds: 5, dataLoss: "none" }, paused: false, allowScaleDown: false, deletionPolicy: "RetainData", ...spec },
  });
}
