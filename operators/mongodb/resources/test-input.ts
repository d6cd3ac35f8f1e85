/** A cluster as the API server returns it, for the builders' unit tests. */
import type { DatabaseCluster } from "../../../shared/api/index.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { testBuildInput } from "../../../test/fixtures/build-input.js";

export function testInput(spec: Record<string, unknown> = {}, status?: DatabaseCluster["status"]): BuildInput {
  return testBuildInput({ name: "orders-db", uid: "1234-5678", status, spec: { engine: "mongodb", replicas: 3, ...spec } });
}
