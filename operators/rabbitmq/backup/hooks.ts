import { registerRabbitmqBackupHooks } from "../backup-hooks.js";
import { buildBootstrapContainer } from "./bootstrap-restore.js";

/** Plugs the RabbitMQ backup code into the engine (the operator calls this once at start, as for MySQL). */
export function registerRabbitmqBackup(options: { bootstrapCommand?: string[] } = {}): void {
  registerRabbitmqBackupHooks({
    restoreInitContainers: (cluster, _spec, agentImage) => [buildBootstrapContainer(cluster, agentImage, options.bootstrapCommand)],
  });
}
