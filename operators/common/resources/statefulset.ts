/**
 * The StatefulSet every engine runs its pods in, and the parts of its pod template that do not
 * depend on the engine. What every engine chose, and why:
 * - podManagementPolicy Parallel: the operator orders things itself; OrderedReady would keep a
 *   pod from being recreated while a lower ordinal is down, which is exactly when it is needed
 *   (failover, a full crash, a new RabbitMQ cluster whose nodes must boot together);
 * - updateStrategy OnDelete: the operator rolls pods itself, one at a time, in the engine's
 *   safe order;
 * - one `data` volume claim per pod; volumeClaimTemplates cannot change in place, so growth
 *   patches each claim and the template keeps the size it was created with;
 * - deletionPolicy RetainData keeps the claims when the cluster is deleted, DeleteData removes
 *   them; scaling in always keeps them;
 * - Pod Security "restricted" for the whole pod, whatever containers the engine put in it
 *   (shared/k8s/pod-security.ts).
 */
import type { V1Affinity, V1PodSpec, V1StatefulSet } from "@kubernetes/client-node";
import { ANNOTATIONS } from "../../../shared/api/index.js";
import type { KubeObject } from "../../../shared/k8s/client.js";
import { owned, type BuildInput } from "./build-input.js";
import { restrictedPodSpec } from "../../../shared/k8s/pod-security.js";

/** A hash of what the pods read at start: a change restarts them (a new pod template revision). */
export const CONFIG_HASH_ANNOTATION = "steward.dev/config-hash";

/** The pod template's annotations: the config hash, and the restart request (`steward.dev/restarted-at`) when there is one. */
export function podTemplateAnnotations(input: BuildInput, configHash: string): Record<string, string> {
  const annotations: Record<string, string> = { [CONFIG_HASH_ANNOTATION]: configHash };
  const restartedAt = input.cluster.metadata.annotations?.[ANNOTATIONS.restartedAt];
  if (restartedAt) annotations[ANNOTATIONS.restartedAt] = restartedAt;
  return annotations;
}

/** Prefers (does not require) one pod of the cluster per node: a small test cluster still schedules on one node. */
export function spreadOverNodes(selector: Record<string, string>): V1Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selector } } }],
    },
  };
}

export interface StatefulSetShape {
  name: string;
  /** The governing headless Service. */
  serviceName: string;
  replicas: number;
  /** On the StatefulSet, the pod template and the claim template. */
  labels: Record<string, string>;
  selector: Record<string, string>;
  podAnnotations: Record<string, string>;
  pod: V1PodSpec;
  /** The claim size the existing StatefulSet was created with (kept: see above); default spec.storage.size. */
  existingClaimSize?: string;
}

export function buildClusterStatefulSet(input: BuildInput, shape: StatefulSetShape): KubeObject {
  const { spec } = input;
  const statefulSet: V1StatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: shape.name, namespace: input.cluster.metadata.namespace ?? "default", labels: shape.labels },
    spec: {
      serviceName: shape.serviceName,
      replicas: shape.replicas,
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "OnDelete" },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: spec.deletionPolicy === "DeleteData" ? "Delete" : "Retain", whenScaled: "Retain" },
      selector: { matchLabels: shape.selector },
      template: {
        metadata: { labels: shape.labels, annotations: shape.podAnnotations },
        // Database pods never call the API server: the operator does, and tells them through it.
        spec: restrictedPodSpec(shape.pod, { apiAccess: false }),
      },
      volumeClaimTemplates: [
        {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: "data", labels: shape.labels },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: spec.storage.storageClassName,
            resources: { requests: { storage: shape.existingClaimSize ?? String(spec.storage.size) } },
          },
        },
      ],
    },
  };
  return owned(input, statefulSet as unknown as KubeObject);
}
