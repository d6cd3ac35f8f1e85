/**
 * Shared by the local-cluster end-to-end files: API clients from the injected kubeconfig, the
 * runtime's control client, throwaway namespaces and waits on real pod state.
 */
import { randomBytes } from "node:crypto";
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, type KubernetesObject, type V1Pod } from "@kubernetes/client-node";
import { inject } from "vitest";
import { applyObjects } from "../../local/apply.js";
import { waitFor } from "../../local/processes.js";
import { RuntimeControl, type ExecResponse } from "../../local/runtime/control-client.js";

export { waitFor };

export function clients() {
  const config = new KubeConfig();
  config.loadFromFile(inject("kubeconfig"));
  return { config, core: config.makeApiClient(CoreV1Api), apps: config.makeApiClient(AppsV1Api), batch: config.makeApiClient(BatchV1Api) };
}

export function runtime(): RuntimeControl {
  return new RuntimeControl(inject("runtimeSocket"));
}

/** Creates a namespace with a random suffix; the returned function deletes it. */
export async function freshNamespace(prefix: string, labels: Record<string, string> = {}): Promise<{ namespace: string; remove: () => Promise<void> }> {
  const { core } = clients();
  const namespace = `${prefix}-${randomBytes(3).toString("hex")}`;
  await core.createNamespace({ body: { metadata: { name: namespace, labels } } });
  // The service-account controller must have made "default" before pods are admitted.
  await waitFor(`service account default in ${namespace}`, async () => Boolean(await core.readNamespacedServiceAccount({ name: "default", namespace })), 30_000);
  return { namespace, remove: async () => void (await core.deleteNamespace({ name: namespace }).catch(() => undefined)) };
}

/**
 * A namespace where the API server's PodSecurity admission enforces the "restricted" level: a
 * pod Steward creates that does not comply is refused (the StatefulSet or Job then reports
 * FailedCreate and the test times out on the missing pod, with the refusal in its events).
 * For the files that run Steward's own pods; the runtime's tests use raw pods (hostPath, root).
 */
export function restrictedNamespace(prefix: string): Promise<{ namespace: string; remove: () => Promise<void> }> {
  return freshNamespace(prefix, { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" });
}

export async function apply(objects: object[]): Promise<void> {
  await applyObjects(clients().config, objects as KubernetesObject[]);
}

export function isReady(pod: V1Pod | undefined): boolean {
  return Boolean(pod?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
}

export async function readPod(namespace: string, name: string): Promise<V1Pod | undefined> {
  try {
    return await clients().core.readNamespacedPod({ name, namespace });
  } catch {
    return undefined;
  }
}

export async function waitForPod(namespace: string, name: string, check: (pod: V1Pod) => boolean, description: string, timeoutMs = 60_000): Promise<V1Pod> {
  let last: V1Pod | undefined;
  await waitFor(`${namespace}/${name} ${description}`, async () => {
    last = await readPod(namespace, name);
    return Boolean(last && check(last));
  }, timeoutMs, 250);
  return last!;
}

/** Runs a command in a pod's container through the runtime and fails the test with its output if it fails. */
export async function execOk(namespace: string, pod: string, command: string[], container?: string): Promise<string> {
  const result: ExecResponse = await runtime().exec({ namespace, pod, container, command, timeoutMs: 30_000 });
  if (result.exitCode !== 0) throw new Error(`${command.join(" ")} in ${namespace}/${pod} exited ${result.exitCode}: ${result.stdout}${result.stderr}`);
  return result.stdout;
}
