/** A DatabaseCluster for the unit tests of the RabbitMQ builders and planners (not used at run time). */
import type { DatabaseCluster } from "../../shared/api/index.js";
import type { BuildInput } from "../common/resources/build-input.js";
import { testBuildInput } from "../../test/fixtures/build-input.js";

export function testCluster(spec: Partial<DatabaseCluster["spec"]> = {}, name = "orders"): BuildInput {
  return testBuildInput({ name, uid: "1234-uid", spec: { engine: "rabbitmq", replicas: 3, ...spec } });
}
