/**
 * What observation reads from a database pod, whatever the engine: whether it exists, is ready,
 * is being deleted or still initializing, its role label, template revision and uid. And which
 * pods a primary/replica engine observes.
 */
import { LABELS } from "../../shared/api/index.js";
import type { KubeObject } from "../../shared/k8s/client.js";

export interface PodFacts {
  name: string;
  exists: boolean;
  ready: boolean;
  terminating: boolean;
  role?: string;
  revision?: string;
  uid?: string;
  /** Waiting in an init step (a copy from the primary, a restore), or the engine container is not started. */
  initializing: boolean;
  restarts: number;
}

export interface PodLike extends KubeObject {
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    initContainerStatuses?: { ready?: boolean; state?: { running?: unknown; terminated?: { exitCode?: number } } }[];
    containerStatuses?: { name: string; ready?: boolean; restartCount?: number; state?: { running?: unknown } }[];
  };
}

export function podFacts(name: string, pod: KubeObject | undefined): PodFacts {
  if (!pod) return { name, exists: false, ready: false, terminating: false, initializing: false, restarts: 0 };
  const status = (pod as PodLike).status;
  const ready = status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True") ?? false;
  const initDone = (status?.initContainerStatuses ?? []).every((init) => init.state?.terminated?.exitCode === 0);
  const restarts = (status?.containerStatuses ?? []).reduce((sum, container) => sum + (container.restartCount ?? 0), 0);
  return {
    name,
    exists: true,
    ready,
    terminating: Boolean(pod.metadata.deletionTimestamp),
    role: pod.metadata.labels?.[LABELS.role],
    revision: pod.metadata.labels?.["controller-revision-hash"],
    uid: pod.metadata.uid,
    initializing: !initDone,
    restarts,
  };
}

/**
 * The instances to observe: ordinals 0..count-1 whether their pod exists or not, and pods beyond
 * the count (a scale-in in progress) until they are gone.
 */
export function instancesToObserve(pod: (ordinal: number) => string, count: number, pods: KubeObject[]): string[] {
  const names = Array.from({ length: count }, (_, ordinal) => pod(ordinal));
  for (const existing of pods) if (!names.includes(existing.metadata.name)) names.push(existing.metadata.name);
  return names;
}
