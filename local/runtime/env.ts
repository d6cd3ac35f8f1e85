import type { V1Container, V1Pod, V1Service } from "@kubernetes/client-node";
import { resolveFieldRef, resolveResourceFieldRef, type PodFacts } from "./downward.js";
import { isNotFound, type KubeClients } from "./kube.js";

/** What the kubelet reports as CreateContainerConfigError: the container cannot start until the spec or its references change. */
export class ContainerConfigError extends Error {}

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** `$(VAR)` expansion as Kubernetes does it for env values, command and args; `$$` escapes. */
export function expandReferences(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === "$$") return "$";
    return name !== undefined && name in env ? env[name]! : match;
  });
}

function serviceEnvName(name: string): string {
  return name.toUpperCase().replace(/-/g, "_");
}

/** Docker-link style variables for Services with a ClusterIP (enableServiceLinks). */
export function serviceLinkEnv(services: V1Service[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const service of services) {
    const ip = service.spec?.clusterIP;
    if (!ip || ip === "None") continue;
    const prefix = serviceEnvName(service.metadata!.name!);
    const ports = service.spec?.ports ?? [];
    if (ports.length === 0) continue;
    env[`${prefix}_SERVICE_HOST`] = ip;
    env[`${prefix}_SERVICE_PORT`] = String(ports[0]!.port);
    for (const port of ports) {
      const protocol = (port.protocol ?? "TCP").toUpperCase();
      if (port.name) env[`${prefix}_SERVICE_PORT_${serviceEnvName(port.name)}`] = String(port.port);
      const base = `${prefix}_PORT_${port.port}_${protocol}`;
      env[base] = `${protocol.toLowerCase()}://${ip}:${port.port}`;
      env[`${base}_PROTO`] = protocol.toLowerCase();
      env[`${base}_PORT`] = String(port.port);
      env[`${base}_ADDR`] = ip;
    }
    env[`${prefix}_PORT`] = `${(ports[0]!.protocol ?? "TCP").toLowerCase()}://${ip}:${ports[0]!.port}`;
  }
  return env;
}

export interface EnvContext {
  pod: V1Pod;
  container: V1Container;
  facts: PodFacts;
  kube: KubeClients;
  /** Services of the pod's namespace, and the `kubernetes` Service of `default`. */
  namespaceServices: V1Service[];
  kubernetesService?: V1Service;
  hostname: string;
}

async function readKeyed(ctx: EnvContext, kind: "secret" | "configmap", name: string): Promise<Record<string, string> | undefined> {
  const namespace = ctx.pod.metadata!.namespace!;
  try {
    if (kind === "secret") {
      const secret = await ctx.kube.core.readNamespacedSecret({ name, namespace });
      return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
    }
    const map = await ctx.kube.core.readNamespacedConfigMap({ name, namespace });
    return { ...(map.data ?? {}) };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * The container's environment, in the kubelet's order: service links, then envFrom, then env
 * (later wins), each env value expanded against what came before it.
 */
export async function containerEnv(ctx: EnvContext): Promise<Record<string, string>> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOSTNAME: ctx.hostname };
  if (ctx.pod.spec?.enableServiceLinks !== false) Object.assign(env, serviceLinkEnv(ctx.namespaceServices));
  if (ctx.kubernetesService) Object.assign(env, serviceLinkEnv([ctx.kubernetesService]));
  const cache = new Map<string, Record<string, string> | undefined>();
  const keyed = async (kind: "secret" | "configmap", name: string) => {
    const key = `${kind}/${name}`;
    if (!cache.has(key)) cache.set(key, await readKeyed(ctx, kind, name));
    return cache.get(key);
  };
  for (const source of ctx.container.envFrom ?? []) {
    const kind = source.secretRef ? "secret" : "configmap";
    const ref = source.secretRef ?? source.configMapRef;
    if (!ref) continue;
    const data = await keyed(kind, ref.name ?? "");
    if (!data) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${kind} "${ref.name}" not found`);
    }
    for (const [key, value] of Object.entries(data)) env[`${source.prefix ?? ""}${key}`] = value;
  }
  for (const variable of ctx.container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = expandReferences(variable.value ?? "", env);
      continue;
    }
    if (from.secretKeyRef || from.configMapKeyRef) {
      const kind = from.secretKeyRef ? "secret" : "configmap";
      const ref = (from.secretKeyRef ?? from.configMapKeyRef)!;
      const data = await keyed(kind, ref.name ?? "");
      const value = data?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(data ? `couldn't find key ${ref.key} in ${kind} ${ctx.pod.metadata!.namespace}/${ref.name}` : `${kind} "${ref.name}" not found`);
      }
      env[variable.name] = value;
    } else if (from.fieldRef) {
      env[variable.name] = resolveFieldRef(ctx.pod, from.fieldRef, ctx.facts) ?? "";
    } else if (from.resourceFieldRef) {
      env[variable.name] = resolveResourceFieldRef([...(ctx.pod.spec?.containers ?? []), ...(ctx.pod.spec?.initContainers ?? [])], from.resourceFieldRef, ctx.facts, ctx.container.name);
    }
  }
  return env;
}
