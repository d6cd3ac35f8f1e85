import type { DatabaseTemplate, LabelSelector } from "../shared/api/index.js";

/** Whether labels match a label selector (the Kubernetes rules: every term must hold). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const requirement of selector.matchExpressions ?? []) {
    const present = requirement.key in labels;
    const value = labels[requirement.key];
    const values = requirement.values ?? [];
    if (requirement.operator === "In" && !(present && values.includes(value!))) return false;
    if (requirement.operator === "NotIn" && present && values.includes(value!)) return false;
    if (requirement.operator === "Exists" && !present) return false;
    if (requirement.operator === "DoesNotExist" && present) return false;
  }
  return true;
}

/** Whether a namespace with these labels may use the template (the admission policy says the same). */
export function visibleIn(template: DatabaseTemplate, namespaceLabels: Record<string, string>): boolean {
  return !template.spec.visibility || selectorMatches(template.spec.visibility.namespaceSelector, namespaceLabels);
}
