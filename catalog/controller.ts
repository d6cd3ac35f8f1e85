/**
 * The DatabaseTemplate controller: turns each template into its ValidatingAdmissionPolicy and
 * binding (catalog/policy.ts), records in the template's status which generation that policy
 * enforces, and keeps the catalog-wide policy's list of usable templates current. The API server
 * enforces the policies; this controller only keeps them in step with the templates.
 */
import { databaseTemplate, type DatabaseTemplate } from "../shared/api/index.js";
import { setCondition } from "../shared/conditions.js";
import { RESOURCES, type KubeClient, type KubeObject } from "../shared/k8s/client.js";
import { writeStatusIfChanged } from "../shared/k8s/status.js";
import type { ControllerSpec, ReconcileRequest } from "../shared/runtime/controller.js";
import { buildCatalogPolicy, buildTemplatePolicy } from "./policy.js";

export function templateController(options: { client: KubeClient }): ControllerSpec {
  return {
    name: "databasetemplate",
    for: RESOURCES.DatabaseTemplate,
    owns: [RESOURCES.ValidatingAdmissionPolicy, RESOURCES.ValidatingAdmissionPolicyBinding],
    // One key at a time: every reconcile rewrites the one catalog-wide policy.
    concurrency: 1,
    reconcile: (request) => reconcileTemplate(options.client, request),
  };
}

/** The generation whose policy is installed, when it is: a cluster is resolved only against such a template. */
export function policyGeneration(template: DatabaseTemplate): number | undefined {
  const ready = template.status?.conditions?.find((condition) => condition.type === "PolicyReady");
  return ready?.status === "True" ? template.status?.observedGeneration : undefined;
}

export async function reconcileTemplate(client: KubeClient, request: ReconcileRequest): Promise<void> {
  const raw = await client.get<KubeObject>(RESOURCES.DatabaseTemplate, undefined, request.name);
  if (raw && !raw.metadata.deletionTimestamp) {
    const template = databaseTemplate.parse(raw);
    const generation = template.metadata.generation;
    const status = structuredClone(template.status ?? {});
    try {
      for (const object of buildTemplatePolicy(template)) await client.apply(object);
      status.conditions = setCondition(status.conditions, { type: "PolicyReady", status: "True", reason: "PolicyApplied", message: `Admission policy steward-template-${template.metadata.name} enforces generation ${generation}` }, generation);
    } catch (error) {
      // A template the schema admits can still fail here (e.g. its own default outside its enum):
      // its clusters stay refused by the catalog policy until it is fixed.
      const message = `The admission policy could not be built or applied: ${error instanceof Error ? error.message : String(error)}; fix the template`;
      status.conditions = setCondition(status.conditions, { type: "PolicyReady", status: "False", reason: "PolicyFailed", message }, generation);
    }
    status.observedGeneration = generation;
    await writeStatusIfChanged(client, RESOURCES.DatabaseTemplate, raw, status);
  }
  const all = await client.list<KubeObject>(RESOURCES.DatabaseTemplate, undefined);
  const ready = all.items
    .filter((item) => !item.metadata.deletionTimestamp)
    .map((item) => databaseTemplate.safeParse(item))
    .filter((parsed) => parsed.success && policyGeneration(parsed.data) !== undefined)
    .map((parsed) => parsed.data!.metadata.name);
  for (const object of buildCatalogPolicy(ready)) await client.apply(object);
}
