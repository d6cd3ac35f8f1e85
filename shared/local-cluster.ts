/**
 * Set to "true" in the environment of an operator that runs on Steward's local cluster (a test
 * fixture whose pods run the host's binaries): engines whose server cannot run on the host turn
 * their clusters Failed with a reason instead of leaving pods that crash-loop.
 */
export const LOCAL_CLUSTER_ENV = "STEWARD_LOCAL_CLUSTER";

export function onLocalCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[LOCAL_CLUSTER_ENV] === "true";
}
