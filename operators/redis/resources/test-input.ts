/** A cluster as the API server returns it, for the builders' unit tests. */
import type { DatabaseCluster } from "../../../shared/api/index.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { testBuildInput } from "../../../test/fixtures/build-input.js";

export function testInput(spec: Record<string, unknown> = {}, status?: DatabaseCluster["status"], annotations?: Record<string, string>): BuildInput {
  return testBuildInput({ name: "cache", uid: "1234-5678", annotations, status, spec: { engine: "redis", replicas: 3, ...spec } });
}

export const TEST_PASSWORDS = { operator: "operator-password-0123456789", replication: "replication-password-0123456789", app: "app-password-0123456789" };
