import { ANNOTATIONS, LABELS, databaseCluster, effectiveSpec } from "../../shared/api/index.js";
import type { DatabaseCluster, DatabaseClusterStatus } from "../../shared/api/index.js";
import { RESOURCES, type KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import { writeStatusIfChanged } from "../../shared/k8s/status.js";
import { applyIfChanged } from "../../shared/k8s/apply.js";
import { setCondition } from "../../shared/conditions.js";
import type { EventRecorder } from "../../shared/events.js";
import type { DatabaseMetrics } from "../../shared/database-metrics.js";
import type { ControllerSpec, ReconcileContext, ReconcileRequest, ReconcileResult } from "../../shared/runtime/controller.js";
import type { ConditionInput, Engine, EngineContext, EngineRegistry, HealOutcome, Observation } from "../engine.js";
import { buildConnectionSecret, connectionSecretName } from "./connection-secret.js";
import { handleNodeLoss } from "./node-loss.js";
import { decidePhase } from "./phase.js";
import { TemplateUsers, resolveFromTemplate, templateStatus } from "./template.js";
import { reconcileClusterTls, tlsStatus } from "./tls.js";

export interface ClusterControllerOptions {
  client: KubeClient;
  events: EventRecorder;
  engines: EngineRegistry;
  /** Reconcile only this namespace (tests run one operator per namespace). */
  namespace?: string;
  /** How often a healthy cluster is observed again; engines ask for sooner when they need it. */
  observeEveryMs?: number;
  /** Filled by clusterController: which clusters each template made. */
  templateUsers?: TemplateUsers;
  /** Clusters reconciled at once (default 8); one cluster is never reconciled by two workers. */
  concurrency?: number;
  /** Per-database metrics, fed from the status this controller writes; a deleted cluster's are forgotten. */
  metrics?: DatabaseMetrics;
}

export function isPaused(cluster: DatabaseCluster): boolean {
  return cluster.spec.paused === true || cluster.metadata.annotations?.[ANNOTATIONS.paused] === "true";
}

/**
 * The DatabaseCluster controller: deletion first, then pause, defaults, the engine's owned
 * objects, the connection Secret, observation, healing, and status. Level-triggered: it reads
 * everything it needs on every call and never asks which event woke it.
 */
export function clusterController(options: ClusterControllerOptions): ControllerSpec {
  const mapPodToCluster = (obj: KubeObject) => {
    const name = obj.metadata.labels?.[LABELS.cluster];
    return name && obj.metadata.namespace ? [{ namespace: obj.metadata.namespace, name }] : [];
  };
  const templateUsers = options.templateUsers ?? new TemplateUsers();
  return {
    name: "databasecluster",
    for: RESOURCES.DatabaseCluster,
    owns: [RESOURCES.StatefulSet, RESOURCES.Service, RESOURCES.Secret, RESOURCES.ConfigMap, RESOURCES.PodDisruptionBudget],
    // Pods are owned by the StatefulSet, not the cluster: map them by label so a pod turning
    // NotReady wakes the cluster's reconcile at once (failover detection starts there).
    watches: [
      { type: RESOURCES.Pod, labelSelector: LABELS.cluster, mapToRequests: mapPodToCluster },
      // A template edit wakes the clusters made from it (their TemplateCurrent condition).
      { type: RESOURCES.DatabaseTemplate, mapToRequests: (template) => templateUsers.of(template.metadata.name) },
    ],
    namespace: options.namespace,
    // Most of a reconcile is waiting (the API server, an engine's health checks), so more
    // workers than cores: at a thousand clusters two workers took 85 s for the first pass.
    concurrency: options.concurrency ?? 8,
    reconcile: (request, context) => reconcileCluster({ ...options, templateUsers }, request, context),
  };
}

export async function reconcileCluster(options: ClusterControllerOptions, request: ReconcileRequest, context: ReconcileContext): Promise<ReconcileResult> {
  const { client, events } = options;
  // From the shared cache, as controller-runtime reads: what woke this reconcile came through it,
  // so it is as fresh as the event; a stale copy only makes a status write re-read (writeStatusIfChanged).
  // Not cached (deleted, or a cache not yet synced): ask the API server.
  const raw = context.cache.cached(RESOURCES.DatabaseCluster, request.namespace, request.name) ?? (await client.get<KubeObject>(RESOURCES.DatabaseCluster, request.namespace, request.name));
  if (!raw) {
    // Deleted: owner references let the garbage collector remove the children.
    options.metrics?.forget(request.namespace, request.name);
    return;
  }
  // A cluster made from a template is resolved before anything else reads its spec.
  if (!raw.metadata.deletionTimestamp) {
    const pending = await resolveFromTemplate(client, events, raw);
    if (pending === "stop") return;
    if (pending) return pending;
  }
  const cluster = databaseCluster.parse(raw);
  const generation = cluster.metadata.generation;
  const status: DatabaseClusterStatus = structuredClone(cluster.status ?? {});
  options.templateUsers?.record(cluster.spec.template?.name, request.namespace, request.name);
  if (!cluster.metadata.deletionTimestamp) await templateStatus(client, cluster, status);

  if (cluster.metadata.deletionTimestamp) {
    // Children go with the owner; the StatefulSet's PVC retention policy (from deletionPolicy)
    // decides whether the volumes go too. Nothing outside the cluster to clean up here.
    options.metrics?.forget(request.namespace, request.name);
    return;
  }

  if (isPaused(cluster)) {
    status.conditions = setCondition(status.conditions, { type: "Paused", status: "True", reason: "Paused", message: "Reconciling is paused (spec.paused or the steward.dev/paused annotation); remove it to resume" }, generation);
    await writeStatusIfChanged(client, RESOURCES.DatabaseCluster, raw, status);
    options.metrics?.observeCluster({ ...cluster, status });
    return;
  }
  status.conditions = setCondition(status.conditions, { type: "Paused", status: "False", reason: "NotPaused", message: "Reconciling" }, generation);

  const spec = effectiveSpec(cluster);
  const engine = options.engines[spec.engine] as Engine | undefined;
  const unsupported = engine ? engine.unsupported?.(spec) : `engine ${spec.engine} is not available in this build of Steward`;
  if (!engine || unsupported) {
    status.phase = "Failed";
    status.observedGeneration = generation;
    const message = `${unsupported}; change spec.engine or spec.version`;
    status.conditions = setCondition(status.conditions, { type: "Ready", status: "False", reason: "Unsupported", message }, generation);
    await writeStatusIfChanged(client, RESOURCES.DatabaseCluster, raw, status);
    options.metrics?.observeCluster({ ...cluster, status });
    if (cluster.status?.phase !== "Failed") await events.warning(raw, "Unsupported", `Cluster ${cluster.metadata.name} cannot run: ${message}`);
    return;
  }

  // The certificate before the engine's objects: pods mount `<cluster>-tls`.
  const tls = engine.servesTls ? await reconcileClusterTls({ client, events, cluster, spec, now: new Date() }) : undefined;
  const engineContext: EngineContext = { client, events, log: context.log, signal: context.signal, cluster, spec, tls, cache: context.cache, now: () => new Date() };
  const prepared = await engine.prepare(engineContext);
  // Applied only when the shared cache shows the object differs: an idle reconcile writes nothing.
  for (const object of engine.desiredObjects(engineContext, prepared)) {
    await applyIfChanged(client, context.cache, object);
  }
  await applyIfChanged(client, context.cache, buildConnectionSecret(cluster, engine.connection(engineContext, prepared)));

  const observation = await engine.observe(engineContext, prepared);
  const outcome = await engine.heal(engineContext, prepared, observation);
  // Pods on lost nodes, whatever the engine: reported in words, recreated only where allowed.
  observation.problems.push(...(await handleNodeLoss(engineContext, spec.failover.nodeLoss ?? "wait")));
  const decision = decidePhase(spec.replicas, observation, outcome, cluster.status?.phase);

  Object.assign(status, outcome.status ?? {});
  status.phase = decision.phase;
  status.observedGeneration = generation;
  status.replicas = spec.replicas;
  status.readyReplicas = observation.readyReplicas;
  status.version = spec.version;
  status.instances = observation.instances;
  status.currentPrimary = outcome.status?.currentPrimary ?? observation.primary ?? status.currentPrimary;
  status.endpoints = engine.endpoints(engineContext);
  status.connectionSecret = connectionSecretName(cluster);
  const tlsView = tlsStatus(tls, engine.servesTls === true, new Date());
  status.tls = tlsView.status;
  status.conditions = applyConditions(status.conditions, [...decision.conditions, ...observation.conditions, tlsView.condition], generation);
  if (tlsView.condition.reason === "CertificateExpiring" || tlsView.condition.reason === "CertificateExpired") await events.warning(raw, tlsView.condition.reason, `Cluster ${cluster.metadata.name}: ${tlsView.condition.message}`);

  const previousPhase = cluster.status?.phase;
  await writeStatusIfChanged(client, RESOURCES.DatabaseCluster, raw, status);
  options.metrics?.observeCluster({ ...cluster, status });
  if (previousPhase !== decision.phase) {
    const message = phaseMessage(cluster, decision.phase, observation, outcome);
    if (decision.phase === "Degraded" || decision.phase === "Failed") await events.warning(raw, decision.phase, message);
    else await events.normal(raw, decision.phase, message);
  }
  return { requeueAfterMs: outcome.requeueAfterMs ?? options.observeEveryMs ?? 30_000 };
}

function applyConditions(current: DatabaseClusterStatus["conditions"], inputs: ConditionInput[], generation: number | undefined) {
  let conditions = current;
  for (const input of inputs) conditions = setCondition(conditions, input, generation);
  return conditions;
}

function phaseMessage(cluster: DatabaseCluster, phase: string, observation: Observation, outcome: HealOutcome): string {
  const name = cluster.metadata.name;
  switch (phase) {
    case "Ready":
      return `Cluster ${name} became Ready with ${observation.readyReplicas} instances${observation.primary ? `, primary ${observation.primary}` : ""}`;
    case "Failed":
      return `Cluster ${name} failed: ${outcome.failed ?? "unknown reason"}`;
    case "Degraded":
      return `Cluster ${name} became Degraded: ${observation.problems.join("; ") || "not every instance is ready"}`;
    default:
      return `Cluster ${name} entered phase ${phase}`;
  }
}
