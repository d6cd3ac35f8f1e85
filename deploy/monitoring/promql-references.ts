/**
 * The metric names and label names a PromQL expression refers to, for the test that keeps the
 * dashboards and alerts in step with the metrics that exist. Not a PromQL parser: it strips
 * what cannot name a metric (strings, ranges, Grafana variables), reads label names from
 * matchers and grouping clauses, and takes every remaining identifier not called as a function
 * and not a keyword as a metric name. That is enough for the expressions in deploy/monitoring;
 * its own tests show it catching an unknown name.
 */
export interface PromqlReferences {
  metrics: Set<string>;
  labels: Set<string>;
}

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan", "Inf", "NaN"]);
const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;

export function promqlReferences(expression: string): PromqlReferences {
  const metrics = new Set<string>();
  const labels = new Set<string>();
  let text = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\$\{[^}]*\}|\$\w+/g, "0");
  text = text.replace(/\{([^}]*)\}/g, (_match, body: string) => {
    for (const matcher of body.split(",")) {
      const name = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/.exec(matcher)?.[1];
      if (name) labels.add(name);
    }
    return " ";
  });
  text = text.replace(GROUPING, (_match, list: string) => {
    for (const name of list.split(",").map((part) => part.trim()).filter(Boolean)) labels.add(name);
    return " ";
  });
  for (const match of text.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (call || KEYWORDS.has(name!)) continue;
    metrics.add(name!);
  }
  return { metrics, labels };
}

/** Grafana's `label_values(metric{...}, label)` (a template variable's query) as PromQL plus the label. */
export function labelValuesReferences(query: string): PromqlReferences {
  const match = /^\s*label_values\((.*?)(?:,\s*([a-zA-Z_][a-zA-Z0-9_]*))?\)\s*$/.exec(query);
  if (!match) return promqlReferences(query);
  if (match[2] === undefined) return { metrics: new Set(), labels: new Set([match[1]!.trim()]) };
  const references = promqlReferences(match[1]!);
  references.labels.add(match[2]);
  return references;
}

/** The `{{label}}` names in a Grafana legend. */
export function legendLabels(legend: string | undefined): string[] {
  return [...(legend ?? "").matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)].map((match) => match[1]!);
}
