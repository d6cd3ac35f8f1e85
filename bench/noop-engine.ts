import type { Engine } from "../operators/engine.js";

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
