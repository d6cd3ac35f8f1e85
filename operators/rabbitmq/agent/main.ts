/**
 * The RabbitMQ agent without the steward CLI around it: `node dist/operators/rabbitmq/agent/main.js`
 * runs the sidecar, `... main.js bootstrap` the restore init step. Pod templates run
 * `steward agent rabbitmq-sidecar` / `rabbitmq-bootstrap`; this entry lets the end-to-end tests
 * run the same code on the local runtime while cli/agent.ts does not list those commands yet.
 */
import { rootLogger } from "../../../shared/log.js";
import { runRabbitmqSidecar } from "./commands.js";

if (process.argv[2] === "bootstrap") {
  const { restoreDefinitionsAtBoot } = await import("../backup/bootstrap-restore.js");
  await restoreDefinitionsAtBoot({ log: rootLogger.child({ step: "rabbitmq-bootstrap" }) });
} else {
  await runRabbitmqSidecar();
}
