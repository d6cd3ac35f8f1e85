import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DatabaseMetrics } from "../../shared/database-metrics.js";
import { RuntimeMetrics } from "../../shared/metrics.js";
import { labelValuesReferences, legendLabels, promqlReferences, type PromqlReferences } from "./promql-references.js";

const here = import.meta.dirname;

/** Labels Prometheus adds to every target's series (PodMonitor defaults), and the relabelled pod labels (pod-monitors.yaml). */
const OPERATOR_TARGET_LABELS = ["namespace", "pod", "container", "endpoint", "job", "instance"];

/** Every metric that exists, with the labels it may carry: the operator's from its registry, the exporters' from the documented list. */
function knownMetrics(): Map<string, Set<string>> {
  const known = new Map<string, Set<string>>();
  const registry = new Registry();
  new RuntimeMetrics(registry, { defaultMetrics: false });
  new DatabaseMetrics(registry);
  for (const metric of registry.getMetricsAsArray()) {
    const { name, labelNames } = metric as unknown as { name: string; labelNames: string[] };
    const labels = new Set([...labelNames, ...OPERATOR_TARGET_LABELS]);
    const histogram = (metric as { constructor: { name: string } }).constructor.name === "Histogram";
    if (histogram) {
      known.set(`${name}_bucket`, new Set([...labels, "le"]));
      known.set(`${name}_sum`, labels);
      known.set(`${name}_count`, labels);
    } else known.set(name, labels);
  }
  const exporters = JSON.parse(readFileSync(join(here, "exporter-metrics.json"), "utf8")) as {
    targetLabels: string[];
    engines: Record<string, { metrics: Record<string, string[] | { labels: string[] }> }>;
  };
  for (const engine of Object.values(exporters.engines)) {
    for (const [name, entry] of Object.entries(engine.metrics)) known.set(name, new Set([...(Array.isArray(entry) ? entry : entry.labels), ...exporters.targetLabels]));
  }
  return known;
}

interface Query {
  where: string;
  references: PromqlReferences;
  legend?: string;
}

function dashboardQueries(): Query[] {
  const queries: Query[] = [];
  for (const file of readdirSync(join(here, "dashboards")).filter((name) => name.endsWith(".json"))) {
    const dashboard = JSON.parse(readFileSync(join(here, "dashboards", file), "utf8")) as {
      templating: { list: { name: string; type: string; query?: { query: string } | string }[] };
      panels: { title: string; targets?: { expr: string; legendFormat?: string }[] }[];
    };
    for (const variable of dashboard.templating.list) {
      if (variable.type !== "query" || !variable.query) continue;
      const query = typeof variable.query === "string" ? variable.query : variable.query.query;
      queries.push({ where: `${file} variable ${variable.name}`, references: labelValuesReferences(query) });
    }
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) queries.push({ where: `${file} panel "${panel.title}"`, references: promqlReferences(target.expr), legend: target.legendFormat });
    }
  }
  return queries;
}

function ruleQueries(): Query[] {
  const rule = parse(readFileSync(join(here, "prometheus-rules.yaml"), "utf8")) as { spec: { groups: { rules: { alert: string; expr: string; annotations?: Record<string, string> }[] }[] } };
  return rule.spec.groups.flatMap((group) =>
    group.rules.map((entry) => ({ where: `alert ${entry.alert}`, references: promqlReferences(entry.expr), legend: Object.values(entry.annotations ?? {}).join(" ").replace(/\$labels\.(\w+)/g, "{{$1}}").replace(/\{\{\s*\$value[^}]*\}\}/g, "") })),
  );
}

/** What is wrong with one query: metrics that do not exist, labels some metric of it does not carry. */
function problems(query: Query, known: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  for (const metric of query.references.metrics) if (!known.has(metric)) found.push(`${query.where}: no metric ${metric}`);
  const metrics = [...query.references.metrics].filter((metric) => known.has(metric));
  for (const label of query.references.labels) {
    for (const metric of metrics) if (!known.get(metric)!.has(label)) found.push(`${query.where}: ${metric} has no label ${label}`);
  }
  for (const label of legendLabels(query.legend)) {
    if (metrics.length > 0 && !metrics.some((metric) => known.get(metric)!.has(label))) found.push(`${query.where}: no metric of it has the label ${label} its legend shows`);
  }
  return found;
}

describe("dashboards and alerts refer only to metrics that exist", () => {
  const known = knownMetrics();

  it("finds metric and label names in PromQL, and the check catches an unknown name or label", () => {
    const references = promqlReferences('sum by (namespace, cluster) (rate(mysql_global_status_queries{namespace=~"$namespace", cluster="a,b"}[$__rate_interval])) / on (pod) group_left mysql_up > bool 0');
    expect([...references.metrics].sort()).toEqual(["mysql_global_status_queries", "mysql_up"]);
    expect([...references.labels].sort()).toEqual(["cluster", "namespace", "pod"]);
    expect(problems({ where: "q", references: promqlReferences('mysql_up{clustr="x"} + steward_cluster_failover_total') }, known)).toEqual(["q: no metric steward_cluster_failover_total", "q: mysql_up has no label clustr"]);
    expect(problems({ where: "q", references: promqlReferences("steward_cluster_phase"), legend: "{{member}}" }, known)).toEqual(["q: no metric of it has the label member its legend shows"]);
  });

  it("has a dashboard per engine and an overview, each with queries", () => {
    const files = readdirSync(join(here, "dashboards")).sort();
    expect(files).toEqual(["steward-mysql.json", "steward-overview.json", "steward-rabbitmq.json", "steward-redis.json"]);
    for (const file of files) expect(dashboardQueries().filter((query) => query.where.startsWith(file)).length, file).toBeGreaterThan(5);
  });

  it("dashboards' queries, variables and legends", () => {
    expect(dashboardQueries().flatMap((query) => problems(query, known))).toEqual([]);
  });

  it("alert expressions and annotations", () => {
    expect(ruleQueries().flatMap((query) => problems(query, known))).toEqual([]);
  });

  it("the overview shows every per-database metric the operator exports", () => {
    const used = new Set(dashboardQueries().filter((query) => query.where.startsWith("steward-overview")).flatMap((query) => [...query.references.metrics]));
    const database = [...known.keys()].filter((name) => name.startsWith("steward_cluster_"));
    expect(database.filter((name) => !used.has(name))).toEqual([]);
  });
});
