import type { V1PodCondition, V1PodStatus } from "@kubernetes/client-node";

/**
 * Pure: from what the runtime knows about a pod's containers to the `status` the kubelet
 * would write (phase, conditions, container statuses). lastTransitionTime only moves when a
 * condition's status flips, so repeated writes of an unchanged pod are no-ops.
 */
export interface Termination {
  exitCode: number;
  reason: string;
  message?: string;
  signal?: number;
  startedAt?: string;
  finishedAt: string;
}

export type ContainerPhase =
  | { kind: "waiting"; reason: string; message?: string }
  | { kind: "running"; startedAt: string }
  | { kind: "terminated"; termination: Termination };

export interface ContainerRecord {
  name: string;
  image: string;
  role: "init" | "sidecar" | "regular";
  phase: ContainerPhase;
  lastTermination?: Termination;
  restartCount: number;
  ready: boolean;
  started: boolean;
  /** Terminated and not going to be restarted under the pod's restart policy. */
  finished: boolean;
  /** Ran at least once (in this or an earlier incarnation). */
  everRan: boolean;
  containerID?: string;
}

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

export interface PodView {
  generation?: number;
  hostIP: string;
  podIP?: string;
  startTime?: string;
  sandboxReady: boolean;
  initContainers: ContainerRecord[];
  containers: ContainerRecord[];
  readinessGates: string[];
  /** A terminal phase the runtime has decided on (kept once reached). */
  terminalPhase?: "Succeeded" | "Failed";
  message?: string;
  reason?: string;
}

export function initializedOf(view: PodView): boolean {
  return view.initContainers.every((c) => (c.role === "sidecar" ? c.started : c.phase.kind === "terminated" && c.phase.termination.exitCode === 0));
}

export function initFailed(view: PodView): boolean {
  return view.initContainers.some((c) => c.role === "init" && c.finished && c.phase.kind === "terminated" && c.phase.termination.exitCode !== 0);
}

/** The kubelet's getPhase, for the regular containers (sidecars never decide completion). */
export function podPhase(view: PodView): PodPhase {
  if (view.terminalPhase) return view.terminalPhase;
  if (initFailed(view)) return "Failed";
  if (!view.sandboxReady || !initializedOf(view)) return "Pending";
  const regular = view.containers;
  if (regular.every((c) => !c.everRan && c.phase.kind === "waiting")) return "Pending";
  if (regular.some((c) => !c.finished)) return "Running";
  return regular.every((c) => c.phase.kind === "terminated" && c.phase.termination.exitCode === 0) ? "Succeeded" : "Failed";
}

function terminatedJson(t: Termination): Record<string, unknown> {
  return { exitCode: t.exitCode, reason: t.reason, ...(t.message ? { message: t.message } : {}), ...(t.signal ? { signal: t.signal } : {}), startedAt: t.startedAt ?? t.finishedAt, finishedAt: t.finishedAt };
}

function containerStatusJson(c: ContainerRecord): Record<string, unknown> {
  let state: Record<string, unknown>;
  if (c.phase.kind === "waiting") state = { waiting: { reason: c.phase.reason, ...(c.phase.message ? { message: c.phase.message } : {}) } };
  else if (c.phase.kind === "running") state = { running: { startedAt: c.phase.startedAt } };
  else state = { terminated: terminatedJson(c.phase.termination) };
  return {
    name: c.name,
    state,
    lastState: c.lastTermination ? { terminated: terminatedJson(c.lastTermination) } : {},
    ready: c.ready,
    restartCount: c.restartCount,
    started: c.started,
    image: c.image,
    imageID: "",
    ...(c.containerID ? { containerID: c.containerID } : {}),
  };
}

const OWN_CONDITIONS = ["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"];

function condition(type: string, ok: boolean, previous: V1PodCondition[], now: string, reason?: string, message?: string): Record<string, unknown> {
  const status = ok ? "True" : "False";
  const before = previous.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status && before.lastTransitionTime ? new Date(before.lastTransitionTime).toISOString() : now;
  return { type, status, lastProbeTime: null, lastTransitionTime, ...(!ok && reason ? { reason } : {}), ...(!ok && message ? { message } : {}) };
}

/** The status to merge-patch; conditions the runtime does not own (PodScheduled, DisruptionTarget...) are carried over. */
export function buildPodStatus(view: PodView, current: V1PodStatus | undefined, now: string): Record<string, unknown> {
  const previous = current?.conditions ?? [];
  const phase = podPhase(view);
  const initialized = initializedOf(view) || phase === "Succeeded";
  const notReady = view.containers.filter((c) => !c.ready).map((c) => c.name);
  const containersReady = notReady.length === 0 && phase === "Running";
  const gates = view.readinessGates.filter((gate) => previous.find((c) => c.type === gate)?.status !== "True");
  const ready = containersReady && gates.length === 0;
  const completed = phase === "Succeeded" || phase === "Failed";
  const conditions = [
    ...previous.filter((c) => !OWN_CONDITIONS.includes(c.type)).map((c) => ({ ...c, lastTransitionTime: c.lastTransitionTime ? new Date(c.lastTransitionTime).toISOString() : undefined, lastProbeTime: c.lastProbeTime ? new Date(c.lastProbeTime).toISOString() : null })),
    condition("PodReadyToStartContainers", view.sandboxReady, previous, now),
    condition("Initialized", initialized, previous, now, "ContainersNotInitialized", `containers with incomplete status: [${view.initContainers.filter((c) => c.phase.kind !== "terminated" && !c.started).map((c) => c.name).join(" ")}]`),
    condition("ContainersReady", containersReady, previous, now, completed ? "PodCompleted" : "ContainersNotReady", completed ? undefined : `containers with unready status: [${notReady.join(" ")}]`),
    condition("Ready", ready, previous, now, completed ? "PodCompleted" : gates.length > 0 && containersReady ? "ReadinessGatesNotReady" : "ContainersNotReady", completed ? undefined : gates.length > 0 && containersReady ? `the status of pod readiness gate(s) ${gates.join(", ")} is not "True"` : `containers with unready status: [${notReady.join(" ")}]`),
  ];
  return {
    phase,
    conditions,
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    ...(view.podIP ? { podIP: view.podIP, podIPs: [{ ip: view.podIP }] } : {}),
    ...(view.startTime ? { startTime: view.startTime } : {}),
    ...(view.generation !== undefined ? { observedGeneration: view.generation } : {}),
    // The API drops an empty list; sending one would make every comparison differ.
    ...(view.initContainers.length > 0 ? { initContainerStatuses: view.initContainers.map(containerStatusJson) } : {}),
    containerStatuses: view.containers.map(containerStatusJson),
    ...(view.reason ? { reason: view.reason } : {}),
    ...(view.message ? { message: view.message } : {}),
  };
}

/** True when the patch would change nothing the runtime owns (compared as the API returns them). */
export function statusUnchanged(desired: Record<string, unknown>, current: V1PodStatus | undefined): boolean {
  if (!current) return false;
  const normalize = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null, (_key, v: unknown) => (v instanceof Date ? v.toISOString().replace(/\.\d{3}Z$/, "Z") : typeof v === "string" && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(v) ? v.replace(/\.\d+Z$/, "Z") : v)));
  const currentJson = normalize(current) as Record<string, unknown>;
  const desiredJson = normalize(desired) as Record<string, unknown>;
  return Object.keys(desiredJson).every((key) => JSON.stringify(sortKeys(desiredJson[key])) === JSON.stringify(sortKeys(currentJson[key])));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined && (value as Record<string, unknown>)[k] !== null)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
