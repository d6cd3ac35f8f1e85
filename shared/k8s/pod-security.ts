/**
 * Pod Security "restricted" for every pod Steward creates, applied in one place (the shared
 * StatefulSet builder and the agent Job builder call it last), so a container any engine adds
 * (init steps, the agent, exporters) gets it without remembering to:
 * - the pod: runAsNonRoot, seccomp RuntimeDefault, no service-account token unless a container
 *   talks to the API server;
 * - every container: no privilege escalation, every capability dropped, a read-only root
 *   filesystem unless the container says it must write there (what it writes goes to volumes:
 *   data claims and emptyDirs).
 * A container's own settings win where it has them (its user, a writable root it asked for);
 * the restricted level's requirements always hold.
 */
import type { V1Container, V1PodSecurityContext, V1PodSpec, V1SecurityContext } from "@kubernetes/client-node";

/** The user the operator image (deploy/Dockerfile) runs as; numeric so the kubelet can check runAsNonRoot. */
export const STEWARD_UID = 10001;

export function restrictedContainer(container: V1Container): V1Container {
  const own: V1SecurityContext = container.securityContext ?? {};
  const securityContext: V1SecurityContext = {
    ...own,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: own.readOnlyRootFilesystem ?? true,
    capabilities: { drop: ["ALL"] },
  };
  return { ...container, securityContext };
}

export interface PodSecurityOptions {
  /** Whether a container uses the pod's service-account token (agent Jobs report status through the API). */
  apiAccess: boolean;
}

export function restrictedPodSpec(pod: V1PodSpec, options: PodSecurityOptions): V1PodSpec {
  const own: V1PodSecurityContext = pod.securityContext ?? {};
  return {
    ...pod,
    automountServiceAccountToken: options.apiAccess,
    securityContext: { ...own, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    ...(pod.initContainers ? { initContainers: pod.initContainers.map(restrictedContainer) } : {}),
    containers: pod.containers.map(restrictedContainer),
  };
}
