import { pluginOf, type Engine } from "../operators/engine.js";
import { ENGINE_PLUGINS } from "../operators/engines.js";

/**
 * A bench-only engine with no pods: it lets the operator bench measure the controller
 * runtime and the generic cluster reconcile (status, conditions, connection Secret) for
 * hundreds of clusters without starting hundreds of databases. Never registered in the operator.
 */
export const benchNoopEngine: Engine<{ password: string }> = {
  name: "redis",
  async prepare() {
    return { password: "bench-only-not-a-secret" };
  },
  desiredObjects() {
    return [];
  },
  connection(context, prepared) {
    const host = `${context.cluster.metadata.name}.${context.cluster.metadata.namespace}.svc`;
    return { host, port: 6379, username: "default", password: prepared.password, uri: `redis://${host}:6379` };
  },
  endpoints(context) {
    return { primary: `${context.cluster.metadata.name}.${context.cluster.metadata.namespace}.svc:6379` };
  },
  async observe(context) {
    const replicas = context.spec.replicas;
    return {
      instances: Array.from({ length: replicas }, (_, i) => ({ name: `${context.cluster.metadata.name}-${i}`, role: i === 0 ? "primary" : "replica", ready: true })),
      primary: `${context.cluster.metadata.name}-0`,
      readyReplicas: replicas,
      conditions: [],
      problems: [],
      provisioning: false,
    };
  },
  async heal() {
    return { requeueAfterMs: 60_000 };
  },
};

/**
 * The real Redis engine's owned objects (credentials Secret, ConfigMap, Services, StatefulSet,
 * PDB) with the no-op engine's observation: the operator creates and keeps every real object of
 * a cluster while no engine process runs (the bench's control plane has no node).
 */
export async function benchObjectsEngine(): Promise<Engine> {
  const redis = await pluginOf(ENGINE_PLUGINS, "redis").loadCluster();
  // The engine is a class instance: delegate, since a spread would drop its prototype's methods.
  return {
    name: redis.name,
    unsupported: (spec) => redis.unsupported?.(spec),
    prepare: (context) => redis.prepare(context),
    desiredObjects: (context, prepared) => redis.desiredObjects(context, prepared),
    connection: (context, prepared) => redis.connection(context, prepared),
    endpoints: (context) => redis.endpoints(context),
    observe: (context) => benchNoopEngine.observe(context, { password: "" }),
    heal: (context, _prepared, observation) => benchNoopEngine.heal(context, { password: "" }, observation),
  };
}
