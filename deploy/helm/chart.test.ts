/**
 * The Helm chart, through the real `helm` CLI (built by local/helm/build.sh, as local/setup.sh
 * does): it lints, renders, refuses bad values by its schema, grants only the permissions its
 * README explains, and deploy/steward.yaml is its current rendering.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { repositoryRoot } from "../../shared/api/generate-crds.js";

const root = repositoryRoot();
const chart = join(root, "deploy/helm/steward");
const helmVersion = readFileSync(join(root, "local/helm/VERSION"), "utf8").trim();
const helm = join(process.env.STEWARD_CACHE ?? join(homedir(), ".cache/steward"), `helm-${helmVersion}`, "helm");

function run(args: string[]): { status: number; stdout: string; stderr: string } {
  if (!existsSync(helm)) throw new Error(`${helm} is missing: run local/setup.sh (or bash local/helm/build.sh)`);
  const result = spawnSync(helm, args, { encoding: "utf8", cwd: root });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

interface Rendered {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] }[];
  roleRef?: { kind: string; name: string };
  spec?: Record<string, unknown>;
}

function template(...set: string[]): Rendered[] {
  const result = run(["template", "steward", chart, "--namespace", "steward-system", ...set.flatMap((value) => ["--set", value])]);
  expect(result.stderr).not.toMatch(/Error/);
  expect(result.status).toBe(0);
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJSON() as Rendered | null)
    .filter((object): object is Rendered => object !== null);
}

/** "group resource verb" for every rule of every Role and ClusterRole. */
function grants(objects: Rendered[]): Set<string> {
  const out = new Set<string>();
  for (const object of objects.filter((o) => o.kind === "Role" || o.kind === "ClusterRole")) {
    for (const rule of object.rules ?? []) {
      for (const group of rule.apiGroups ?? []) for (const resource of rule.resources ?? []) for (const verb of rule.verbs ?? []) out.add(`${group || '""'} ${resource} ${verb}`);
    }
  }
  return out;
}

/** The README's table "Permissions": group | resources | verbs | why. */
function documented(): Map<string, string> {
  const readme = readFileSync(join(chart, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Permissions"));
  const out = new Map<string, string>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    if (cells.length < 6 || cells[1] === "group" || cells[1]!.startsWith("---")) continue;
    const [, group, resources, verbs, why] = cells as [string, string, string, string, string];
    for (const resource of resources.split(",")) for (const verb of verbs.split(",")) out.set(`${group} ${resource.trim()} ${verb.trim()}`, why);
  }
  return out;
}

describe("the Helm chart", () => {
  it("passes helm lint, cluster-wide and with a namespace list", () => {
    for (const set of [[], ["--set", "watchNamespaces={shop,billing}", "--set", "metrics.serviceMonitor.enabled=true"]]) {
      const result = run(["lint", chart, "--strict", ...set]);
      expect(result.stdout + result.stderr).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(result.status).toBe(0);
    }
  });

  it("grants only permissions the README's table explains, and the table lists nothing it does not grant", () => {
    const table = documented();
    for (const objects of [template(), template("watchNamespaces={shop,billing}")]) {
      const granted = grants(objects);
      expect([...granted].filter((grant) => !table.has(grant)), "granted without a row in deploy/helm/steward/README.md").toEqual([]);
    }
    const granted = grants(template());
    expect([...table.keys()].filter((row) => !granted.has(row)), "rows the chart does not grant").toEqual([]);
  });

  it("grants no wildcard, no cluster-admin, nothing that escalates, and no Secret access beyond read and write of single objects", () => {
    for (const objects of [template(), template("watchNamespaces={shop}")]) {
      const granted = [...grants(objects)];
      expect(granted.filter((grant) => grant.includes("*"))).toEqual([]);
      expect(granted.filter((grant) => /\b(escalate|bind|impersonate|deletecollection)$/.test(grant))).toEqual([]);
      expect(granted.filter((grant) => grant.startsWith('"" secrets ')).map((grant) => grant.split(" ")[2]).sort()).toEqual(["create", "get", "list", "patch", "update", "watch"]);
      expect(objects.filter((o) => o.roleRef?.name === "cluster-admin" || o.roleRef?.name === "admin" || o.roleRef?.name === "edit")).toEqual([]);
    }
  });

  it("uses Roles in the listed namespaces only when watchNamespaces is set, plus leader election in its own namespace", () => {
    const objects = template("watchNamespaces={shop,billing}");
    // Cluster-wide only what is cluster-scoped: the catalog (templates, their admission policies),
    // reading Nodes and PVs (node loss), and the roles aggregated into the built-in ones for users (bound to no one by the chart).
    const clusterWide = objects.filter((o) => o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding").map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(clusterWide).toEqual(["ClusterRole/steward-catalog", "ClusterRole/steward-catalog-reader", "ClusterRole/steward-edit", "ClusterRole/steward-nodes", "ClusterRole/steward-view", "ClusterRoleBinding/steward-catalog", "ClusterRoleBinding/steward-catalog-reader", "ClusterRoleBinding/steward-nodes"]);
    const catalogRules = objects.find((o) => o.kind === "ClusterRole" && o.metadata.name === "steward-catalog") as unknown as { rules: { resources: string[] }[] };
    expect(catalogRules.rules.flatMap((rule) => rule.resources).sort()).toEqual(["databasetemplates", "databasetemplates/status", "validatingadmissionpolicies", "validatingadmissionpolicybindings"]);
    const roles = objects.filter((o) => o.kind === "Role").map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort();
    expect(roles).toEqual(["billing/steward", "shop/steward", "steward-system/steward-leader-election"]);
    const deployment = objects.find((o) => o.kind === "Deployment") as { spec: { template: { spec: { containers: { args: string[] }[] } } } } | undefined;
    expect(deployment?.spec.template.spec.containers[0]?.args).toContain("--namespace=shop,billing");
  });

  it("runs the console only when asked, as a restricted pod whose ServiceAccount is bound to nothing", () => {
    expect(template().filter((o) => o.metadata.name === "steward-console")).toEqual([]);
    const objects = template("console.enabled=true");
    const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "steward-console") as unknown as {
      spec: { template: { spec: { serviceAccountName: string; automountServiceAccountToken: boolean; securityContext: Record<string, unknown>; containers: { args: string[]; securityContext: Record<string, unknown> }[]; volumes: { name: string; projected?: { sources: Record<string, unknown>[] } }[] } } };
    };
    expect(deployment.spec.template.spec.automountServiceAccountToken).toBe(false);
    // The API server's CA, and nothing else of a service account's (no token): users bring their own.
    expect(deployment.spec.template.spec.volumes.find((volume) => volume.name === "api-ca")?.projected?.sources).toEqual([{ configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } }]);
    expect(deployment.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(deployment.spec.template.spec.containers[0]!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(deployment.spec.template.spec.containers[0]!.args).toContain("--auth=token");
    const account = deployment.spec.template.spec.serviceAccountName;
    const bindings = objects.filter((o) => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding") as unknown as { subjects?: { name: string }[] }[];
    expect(bindings.filter((binding) => binding.subjects?.some((subject) => subject.name === account))).toEqual([]);
  });

  it("runs the operator as a restricted pod: non-root, read-only root, seccomp, no capabilities, two replicas, a PDB", () => {
    const objects = template();
    const deployment = objects.find((o) => o.kind === "Deployment") as unknown as {
      spec: { replicas: number; template: { spec: { securityContext: Record<string, unknown>; containers: { securityContext: Record<string, unknown>; livenessProbe?: unknown; readinessProbe?: unknown; resources?: unknown }[] } } };
    };
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    const container = deployment.spec.template.spec.containers[0]!;
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(container.livenessProbe).toBeDefined();
    expect(container.readinessProbe).toBeDefined();
    expect(container.resources).toBeDefined();
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(["PodDisruptionBudget", "Service", "ServiceAccount"]));
  });

  it.each([
    ["replicaCount=0", /replicaCount/],
    ["image.pullPolicy=Sometimes", /pullPolicy/],
    ["watchNamespaces={Bad_Namespace}", /watchNamespaces/],
    ["resources.requests.cpu=lots", /cpu/],
    ["metrics.port=80", /port/],
    ["logLevel=verbose", /logLevel/],
    ["unknownSetting=1", /unknownSetting|additional properties/i],
  ])("refuses %s by its values schema", (value, named) => {
    const result = run(["template", "steward", chart, "--set", value]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(named);
  });

  it("is what deploy/steward.yaml holds (run deploy/generate-manifests.sh after a chart change)", () => {
    const committed = readFileSync(join(root, "deploy/steward.yaml"), "utf8");
    const rendered = execFileSync(helm, ["template", "steward", chart, "--namespace", "steward-system", "--include-crds"], { encoding: "utf8", cwd: root });
    expect(committed.endsWith(rendered), "deploy/steward.yaml is stale").toBe(true);
  });
});
