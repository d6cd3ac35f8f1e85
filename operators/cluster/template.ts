/**
 * What the DatabaseCluster controller does for a cluster made from a catalog template: resolve
 * it once (before anything else, on its first reconcile), then report whether the template has
 * moved on since (the TemplateCurrent condition). Resolution writes the spec and the annotations
 * that record it in one update, so a crash before or after it leaves nothing half done.
 */
import { TemplateError, describeDrift, resolveCluster, templateDrift } from "../../catalog/resolve.js";
import { policyGeneration } from "../../catalog/controller.js";
import { TEMPLATE_ANNOTATIONS, databaseTemplate, templateReference } from "../../shared/api/index.js";
import type { DatabaseCluster, DatabaseClusterStatus, DatabaseTemplate } from "../../shared/api/index.js";
import { setCondition } from "../../shared/conditions.js";
import type { EventRecorder } from "../../shared/events.js";
import { RESOURCES, type KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import { writeStatusIfChanged } from "../../shared/k8s/status.js";
import type { ReconcileResult } from "../../shared/runtime/controller.js";

type Spec = Record<string, unknown>;

/**
 * Which clusters were made from which template, learnt as clusters are reconciled (every one is
 * at start-up), so an edit of a template wakes exactly its clusters to report drift.
 */
export class TemplateUsers {
  private readonly users = new Map<string, Map<string, { namespace: string; name: string }>>();

  record(template: string | undefined, namespace: string, name: string): void {
    for (const [other, clusters] of this.users) if (other !== template) clusters.delete(`${namespace}/${name}`);
    if (!template) return;
    const clusters = this.users.get(template) ?? new Map<string, { namespace: string; name: string }>();
    clusters.set(`${namespace}/${name}`, { namespace, name });
    this.users.set(template, clusters);
  }

  of(template: string): { namespace: string; name: string }[] {
    return [...(this.users.get(template)?.values() ?? [])];
  }
}

async function getTemplate(client: KubeClient, name: string): Promise<DatabaseTemplate | undefined> {
  const raw = await client.get<KubeObject>(RESOURCES.DatabaseTemplate, undefined, name);
  return raw ? databaseTemplate.parse(raw) : undefined;
}

/**
 * Resolves a cluster that names a template and has not been resolved yet. Returns a result
 * when the reconcile must stop here (resolved: the update wakes the next one; or waiting),
 * undefined when the cluster is already resolved or names no template.
 */
export async function resolveFromTemplate(client: KubeClient, events: EventRecorder, raw: KubeObject): Promise<ReconcileResult | "stop" | undefined> {
  const spec = (raw.spec ?? {}) as Spec;
  if (spec.template === undefined || raw.metadata.annotations?.[TEMPLATE_ANNOTATIONS.generation]) return undefined;
  const reference = templateReference.parse(spec.template);
  const generation = raw.metadata.generation;
  const status = structuredClone((raw.status ?? {}) as DatabaseClusterStatus);
  const waiting = async (reason: string, message: string, requeueAfterMs: number) => {
    status.phase = "Pending";
    status.conditions = setCondition(status.conditions, { type: "TemplateResolved", status: "False", reason, message }, generation);
    await writeStatusIfChanged(client, RESOURCES.DatabaseCluster, raw, status);
    return { requeueAfterMs };
  };
  const template = await getTemplate(client, reference.name);
  if (!template) return waiting("TemplateNotFound", `DatabaseTemplate ${reference.name} does not exist; create it or recreate the cluster from another template (steward catalog list)`, 15_000);
  // The policy that checks this update must know the template as it is now, or it would refuse it.
  if (policyGeneration(template) !== template.metadata.generation) return waiting("WaitingForPolicy", `Waiting for the admission policy of template ${reference.name} generation ${template.metadata.generation}`, 2_000);
  let resolved;
  try {
    resolved = resolveCluster(template, reference, spec);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    status.phase = "Failed";
    status.conditions = setCondition(status.conditions, { type: "TemplateResolved", status: "False", reason: "InvalidTemplateReference", message: `spec.template.${error.message}` }, generation);
    await writeStatusIfChanged(client, RESOURCES.DatabaseCluster, raw, status);
    return "stop";
  }
  await client.mergePatch(RESOURCES.DatabaseCluster, raw.metadata.namespace, raw.metadata.name, {
    metadata: {
      resourceVersion: raw.metadata.resourceVersion,
      annotations: { [TEMPLATE_ANNOTATIONS.generation]: String(template.metadata.generation), [TEMPLATE_ANNOTATIONS.values]: JSON.stringify(resolved.templateValues) },
    },
    spec: resolved.spec,
  });
  await events.normal(raw, "TemplateResolved", `Made cluster ${raw.metadata.name} from template ${template.metadata.name} generation ${template.metadata.generation}, size ${resolved.size}`);
  return "stop";
}

/** status.template and the TemplateCurrent condition for a resolved cluster (unchanged otherwise). */
export async function templateStatus(client: KubeClient, cluster: DatabaseCluster, status: DatabaseClusterStatus): Promise<void> {
  const reference = cluster.spec.template;
  const recordedGeneration = Number(cluster.metadata.annotations?.[TEMPLATE_ANNOTATIONS.generation]);
  if (!reference || !Number.isInteger(recordedGeneration)) return;
  const generation = cluster.metadata.generation;
  status.template = { name: reference.name, generation: recordedGeneration, ...(reference.size ? { size: reference.size } : {}) };
  status.conditions = setCondition(status.conditions, { type: "TemplateResolved", status: "True", reason: "Resolved", message: `Resolved from template ${reference.name} generation ${recordedGeneration}` }, generation);
  const template = await getTemplate(client, reference.name);
  const current = (input: Parameters<typeof setCondition>[1]) => (status.conditions = setCondition(status.conditions, input, generation));
  if (!template) {
    current({ type: "TemplateCurrent", status: "Unknown", reason: "TemplateDeleted", message: `Template ${reference.name} no longer exists; the cluster stands alone` });
    return;
  }
  if (template.metadata.generation === recordedGeneration) {
    current({ type: "TemplateCurrent", status: "True", reason: "Current", message: `Template ${reference.name} is at generation ${recordedGeneration}, as when the cluster was made` });
    return;
  }
  let drift;
  try {
    const recorded = JSON.parse(cluster.metadata.annotations?.[TEMPLATE_ANNOTATIONS.values] ?? "{}") as Record<string, unknown>;
    drift = templateDrift(recorded, resolveCluster(template, reference).templateValues);
  } catch (error) {
    current({ type: "TemplateCurrent", status: "False", reason: "TemplateIncompatible", message: `Template ${reference.name} generation ${template.metadata.generation} no longer accepts this cluster's size or parameters: ${error instanceof Error ? error.message : String(error)}` });
    return;
  }
  if (drift.length === 0) {
    current({ type: "TemplateCurrent", status: "True", reason: "NoChanges", message: `Template ${reference.name} moved to generation ${template.metadata.generation} without changing anything this cluster got from it` });
    return;
  }
  current({
    type: "TemplateCurrent",
    status: "False",
    reason: "TemplateChanged",
    message: `Template ${reference.name} moved from generation ${recordedGeneration} to ${template.metadata.generation}: ${describeDrift(drift)}; steward catalog upgrade ${cluster.metadata.name} applies it`,
  });
}
