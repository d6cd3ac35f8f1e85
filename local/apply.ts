import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { KubeClient, type KubeObject } from "../shared/k8s/client.js";

/** The field manager of everything the local cluster itself creates (not the operator's "steward"). */
export const LOCAL_FIELD_MANAGER = "steward-local";

export function loadKubeConfig(kubeconfig: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  return config;
}

/**
 * Server-side apply of whole objects, forced: the local cluster owns what it declares. The
 * objects go to the API server as they are: client-node's KubernetesObjectApi would run them
 * through its typed model first, which drops the x-kubernetes-* keys of CRD schemas (the
 * DatabaseCluster CRD was then refused for quantity fields without a type).
 */
export async function applyObjects(config: KubeConfig, objects: KubernetesObject[]): Promise<void> {
  const client = new KubeClient(config);
  try {
    for (const object of objects) await client.apply(object as KubeObject, { fieldManager: LOCAL_FIELD_MANAGER, force: true });
  } finally {
    await client.close();
  }
}
