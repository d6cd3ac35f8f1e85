/**
 * The app catalog on the real kube-apiserver: templates the CRD refuses, clusters the
 * operator's ValidatingAdmissionPolicies refuse (locked paths, parameters, sizes, visibility),
 * resolution on the first reconcile, drift after a template edit, and admission that still
 * holds while the operator is stopped (the policies are API objects with failurePolicy Fail).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { catalogManifests } from "../../catalog/builtin.js";
import { TEMPLATE_ANNOTATIONS } from "../../shared/api/index.js";
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { startOperatorProcess, type OperatorProcess } from "../fixtures/operator.js";
import { createNamespace, deleteNamespace, useTestNamespace, waitFor } from "./runtime-fixtures.js";

const run = promisify(execFile);
const test = useTestNamespace("catalog", { crds: true });
const suffix = randomBytes(3).toString("hex");
const TEAM = `shop-${suffix}`;
const NAME = `mysql-ha-${suffix}`;
let hidden = "";
let operator: OperatorProcess | undefined;

/** The example template, with visibility for the test's team label. */
function template(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "steward.dev/v1alpha1",
    kind: "DatabaseTemplate",
    metadata: { name },
    spec: {
      title: "MySQL, highly available",
      engine: "mysql",
      flavor: "mariadb",
      visibility: { namespaceSelector: { matchLabels: { team: TEAM } } },
      sizes: [
        { name: "small", replicas: 3, resources: { requests: { cpu: "250m", memory: "512Mi" } }, storage: { size: "5Gi" } },
        { name: "medium", replicas: 3, resources: { requests: { cpu: "1", memory: "2Gi" } }, storage: { size: "50Gi" } },
      ],
      defaultSize: "small",
      cluster: { version: "10.11", failover: { delaySeconds: 5, dataLoss: "none" }, backup: { storage: "s3", schedule: "0 3 * * *", retention: { keepLast: 7 }, pointInTime: { enabled: true } } },
      parameters: [
        { name: "storage", path: "storage.size", title: "Storage per instance", type: "quantity", default: "10Gi", minimum: "5Gi" },
        { name: "replicas", path: "replicas", title: "Instances", type: "integer", enum: [3, 5] },
        { name: "schedule", path: "backup.schedule", title: "Backup schedule", type: "string", format: "cron" },
      ],
      locked: ["backup.storage", "failover.dataLoss"],
      ...spec,
    },
  };
}

function cluster(name: string, spec: Record<string, unknown>, namespace = test.namespace): KubeObject {
  // paused: the test is about admission and resolution, not about running MariaDB.
  return { apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name, namespace }, spec: { paused: true, ...spec } };
}

async function refusal(create: () => Promise<unknown>): Promise<string> {
  try {
    await create();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error("the request was admitted");
}

const randomName = (prefix: string) => `${prefix}-${randomBytes(3).toString("hex")}`;

async function resolvedCluster(name: string): Promise<KubeObject & { spec: Record<string, unknown>; status?: Record<string, unknown> }> {
  let found: (KubeObject & { spec: Record<string, unknown> }) | undefined;
  await waitFor(`cluster ${name} to be resolved from its template`, async () => {
    found = await test.client.get(RESOURCES.DatabaseCluster, test.namespace, name);
    return Boolean(found?.metadata.annotations?.[TEMPLATE_ANNOTATIONS.generation]);
  }, 30_000, 200);
  return found!;
}

async function policyReady(name: string): Promise<void> {
  await waitFor(`template ${name}'s admission policy`, async () => {
    const raw = await test.client.get<KubeObject & { status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] } }>(RESOURCES.DatabaseTemplate, undefined, name);
    const catalog = await test.client.get<KubeObject & { spec: { validations: { expression: string }[] } }>(RESOURCES.ValidatingAdmissionPolicy, undefined, "steward-catalog");
    return raw?.status?.observedGeneration === raw?.metadata.generation && raw?.status?.conditions?.some((c) => c.type === "PolicyReady" && c.status === "True") === true && catalog?.spec.validations[0]!.expression.includes(`"${name}"`) === true;
  }, 30_000, 200);
  // The API server compiles a new policy a moment after it is stored; creates before then are not checked by it yet.
  await waitFor(`the API server to enforce template ${name}'s policy`, async () => {
    try {
      await test.client.create(cluster(randomName("probe"), { template: { name, size: "no-such-size" } }), { dryRun: true });
      return false;
    } catch (error) {
      return String(error).includes("has no size");
    }
  }, 30_000, 200);
}

beforeAll(async () => {
  await test.client.mergePatch(RESOURCES.Namespace, undefined, test.namespace, { metadata: { labels: { team: TEAM } } });
  hidden = await createNamespace(test.client, "catalog-hidden");
  operator = startOperatorProcess({ kubeconfig: inject("kubeconfig"), namespace: test.namespace, identity: "catalog" });
  await test.client.create(template(NAME));
  await policyReady(NAME).catch((error: unknown) => {
    throw new Error(`${String(error)}\noperator log tail:\n${operator?.logs.slice(-20).join("\n")}`);
  });
});

afterAll(async () => {
  await operator?.stop();
  for (const name of [NAME, `late-${suffix}`]) await test.client.delete(RESOURCES.DatabaseTemplate, undefined, name).catch(() => undefined);
  if (hidden) await deleteNamespace(test.client, hidden);
});

describe("templates the API server refuses when they are written, naming the field", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["a parameter path that is not a spec field", { parameters: [{ name: "disk", path: "storage.sise", title: "Disk", type: "quantity" }] }, /spec\.parameters\[0\]\.path.*must be a field of the DatabaseCluster spec/],
    ["an integer parameter on a string field", { parameters: [{ name: "when", path: "backup.schedule", title: "When", type: "integer" }] }, /spec\.parameters\[0\]\.path.*an integer parameter needs an integer field/],
    ["a locked path that is not a spec field", { locked: ["backup.store"] }, /spec\.locked\[0\].*a locked path must be a field/],
    ["a parameter on a locked path", { parameters: [{ name: "bucket", path: "backup.storage", title: "Bucket", type: "string" }] }, /spec\.parameters.*a parameter may not set a locked path/],
    ["a defaultSize that is no size", { defaultSize: "huge" }, /spec\.defaultSize.*must name one of sizes/],
    ["two sizes with one name", { sizes: [{ name: "small", replicas: 3 }, { name: "small", replicas: 5 }] }, /spec\.sizes\[1\].*Duplicate value/],
    ["a flavor on redis", { engine: "redis" }, /spec\.flavor.*only for engine mysql/],
    ["a size with zero replicas", { sizes: [{ name: "small", replicas: 0 }] }, /spec\.sizes\[0\]\.replicas.*greater than or equal to 1/],
    ["a size whose storage is not a quantity", { sizes: [{ name: "small", storage: { size: "big" } }] }, /spec\.sizes\[0\]\.storage\.size.*quantity/],
    ["a cluster part with a bad cron", { cluster: { backup: { storage: "s3", schedule: "every night" } } }, /spec\.cluster\.backup\.schedule.*cron/],
    ["a cluster part with an unknown dataLoss", { cluster: { failover: { dataLoss: "some" } } }, /spec\.cluster\.failover\.dataLoss.*Unsupported value/],
    ["a mongodb size with even replicas", { engine: "mongodb", flavor: undefined, sizes: [{ name: "small", replicas: 4 }], defaultSize: undefined }, /spec\.sizes.*odd number of replicas/],
    ["a parameter named like a CLI flag", { parameters: [{ name: "size", path: "replicas", title: "Size", type: "integer" }] }, /spec\.parameters\[0\]\.name.*may not be one of the CLI's own flags/],
    ["a default outside its enum", { parameters: [{ name: "replicas", path: "replicas", title: "Instances", type: "integer", enum: [3, 5], default: 4 }] }, /spec\.parameters\[0\]\.default.*must be one of enum/],
    ["a minimum on a string parameter", { parameters: [{ name: "when", path: "backup.schedule", title: "When", type: "string", minimum: 3 }] }, /spec\.parameters\[0\]\.minimum.*only for type integer or quantity/],
    ["point in time on redis", { engine: "redis", flavor: undefined, cluster: { backup: { storage: "s3", pointInTime: { enabled: true } } } }, /spec\.cluster\.backup\.pointInTime.*mysql and mongodb only/],
  ];
  it.each(cases)("refuses %s", async (_what, spec, expected) => {
    expect(await refusal(() => test.client.create(template(randomName("bad"), spec)))).toMatch(expected);
  });
});

describe("clusters the template's admission policy refuses, naming the field and the template", () => {
  const cases: [string, () => Record<string, unknown>, RegExp][] = [
    ["a template that does not exist", () => ({ template: { name: `nothing-${suffix}` } }), /spec\.template\.name: no DatabaseTemplate named nothing-/],
    ["a size the template does not have", () => ({ template: { name: NAME, size: "huge" } }), new RegExp(`spec\\.template\\.size: template ${NAME} has no size "huge"`)],
    ["a parameter the template does not have", () => ({ template: { name: NAME, parameters: { colour: "red" } } }), /spec\.template\.parameters\.colour: template .* has no such parameter/],
    ["an integer outside the enum", () => ({ template: { name: NAME, parameters: { replicas: 4 } } }), /spec\.template\.parameters\.replicas must be an integer, one of 3, 5/],
    ["an integer written as a word", () => ({ template: { name: NAME, parameters: { replicas: "three" } } }), /spec\.template\.parameters\.replicas must be an integer/],
    ["a quantity below the minimum", () => ({ template: { name: NAME, parameters: { storage: "1Gi" } } }), /spec\.template\.parameters\.storage must be a quantity such as 10Gi, at least 5Gi/],
    ["a schedule that is not cron", () => ({ template: { name: NAME, parameters: { schedule: "nightly" } } }), /spec\.template\.parameters\.schedule must be .*cron/],
    ["a locked backup storage set differently", () => ({ template: { name: NAME }, backup: { storage: "elsewhere" } }), new RegExp(`spec\\.backup\\.storage is locked by template ${NAME} to "s3"`)],
    ["a locked dataLoss set differently", () => ({ template: { name: NAME }, failover: { dataLoss: "allowed" } }), /spec\.failover\.dataLoss is locked by template .* to "none"/],
    ["an engine the template does not make", () => ({ template: { name: NAME }, engine: "redis" }), /spec\.engine is locked by template .* to "mysql"/],
  ];
  it.each(cases)("refuses %s", async (_what, spec, expected) => {
    expect(await refusal(() => test.client.create(cluster(randomName("bad"), spec())))).toMatch(expected);
  });

  it("refuses the template in a namespace it is not visible in, and admits it where it is", async () => {
    const message = await refusal(() => test.client.create(cluster("hidden", { template: { name: NAME } }, hidden)));
    expect(message).toContain(`spec.template.name: template ${NAME} is not visible in namespace ${hidden}`);
    const admitted = await test.client.create(cluster(randomName("visible"), { template: { name: NAME } }), { dryRun: true });
    expect(admitted.metadata.namespace).toBe(test.namespace);
  });
});

describe("a cluster made from a template", () => {
  it("is resolved on its first reconcile, and its locked fields are refused at update", async () => {
    await test.client.create(cluster("orders", { template: { name: NAME, size: "medium", parameters: { storage: "80Gi" } } }));
    const orders = await resolvedCluster("orders");
    expect(orders.spec).toMatchObject({
      engine: "mysql",
      flavor: "mariadb",
      version: "10.11",
      replicas: 3,
      storage: { size: "80Gi" },
      resources: { requests: { cpu: "1", memory: "2Gi" } },
      backup: { storage: "s3", schedule: "0 3 * * *", pointInTime: { enabled: true } },
      template: { name: NAME, size: "medium", parameters: { storage: "80Gi" } },
    });
    expect(orders.metadata.annotations?.[TEMPLATE_ANNOTATIONS.generation]).toBe("1");

    const patch = (body: unknown) => test.client.mergePatch(RESOURCES.DatabaseCluster, test.namespace, "orders", body);
    expect(await refusal(() => patch({ spec: { backup: { storage: "elsewhere" } } }))).toContain(`spec.backup.storage is locked by template ${NAME}`);
    expect(await refusal(() => patch({ spec: { backup: null } }))).toContain(`spec.backup.storage is locked by template ${NAME}`);
    expect(await refusal(() => patch({ spec: { failover: { dataLoss: "allowed" } } }))).toContain("spec.failover.dataLoss is locked");
    expect(await refusal(() => patch({ metadata: { annotations: { [TEMPLATE_ANNOTATIONS.generation]: null } } }))).toContain("may not be removed");
    expect(await refusal(() => patch({ spec: { template: { size: "small" } } }))).toMatch(/spec\.template.*template is immutable/);
    // What the template does not lock stays the user's.
    const changed = await patch({ spec: { config: { max_connections: "500" } } });
    expect((changed as unknown as { spec: { config: Record<string, string> } }).spec.config.max_connections).toBe("500");
  });

  it("reports TemplateCurrent=False with the changed paths and values after the template is edited", async () => {
    await test.client.create(cluster("drifting", { template: { name: NAME } }));
    await resolvedCluster("drifting");
    await waitFor("TemplateCurrent=True", async () => condition(await test.client.get(RESOURCES.DatabaseCluster, test.namespace, "drifting"))?.status === "True", 30_000, 200);
    await test.client.mergePatch(RESOURCES.DatabaseTemplate, undefined, NAME, { spec: { cluster: { version: "11.4" } } });
    let message = "";
    await waitFor("TemplateCurrent=False", async () => {
      const found = condition(await test.client.get(RESOURCES.DatabaseCluster, test.namespace, "drifting"));
      message = found?.message ?? "";
      return found?.status === "False";
    }, 60_000, 300);
    expect(message).toContain(`Template ${NAME} moved from generation 1 to 2: version: "10.11" -> "11.4"`);
    // The cluster itself is unchanged: a template edit never changes existing clusters.
    const drifting = await test.client.get<KubeObject & { spec: { version: string } }>(RESOURCES.DatabaseCluster, test.namespace, "drifting");
    expect(drifting?.spec.version).toBe("10.11");
  });

  it("is still checked while the operator is stopped, and resolved when it is back", async () => {
    await operator!.kill();
    expect(await refusal(() => test.client.create(cluster(randomName("down"), { template: { name: NAME }, backup: { storage: "elsewhere" } })))).toContain("is locked by template");
    expect(await refusal(() => test.client.create(cluster(randomName("down"), { template: { name: NAME, parameters: { replicas: 4 } } })))).toContain("one of 3, 5");
    // A template the operator has not seen has no policy yet: clusters naming it are refused, not admitted unchecked.
    await test.client.create(template(`late-${suffix}`));
    expect(await refusal(() => test.client.create(cluster(randomName("down"), { template: { name: `late-${suffix}` } })))).toContain(`no DatabaseTemplate named late-${suffix} is ready`);
    await test.client.create(cluster("while-down", { template: { name: NAME, size: "small" } }));
    operator = startOperatorProcess({ kubeconfig: inject("kubeconfig"), namespace: test.namespace, identity: "catalog-2" });
    const resolved = await resolvedCluster("while-down");
    expect(resolved.spec).toMatchObject({ engine: "mysql", version: "11.4", storage: { size: "10Gi" } });
    await policyReady(`late-${suffix}`);
  });
});

describe("who may read and write templates (deploy/catalog/rbac.yaml)", () => {
  it("lets any authenticated user read templates and only admins write them", async () => {
    for (const object of catalogManifests().filter((item) => item.kind !== "DatabaseTemplate")) await test.client.apply(object as KubeObject);
    // kubectl auth can-i asks the API server's authorizer (a SubjectAccessReview) as that user.
    const allowed = async (verb: string, user: string, groups: string[]) => {
      const args = ["auth", "can-i", verb, "databasetemplates.steward.dev", `--as=${user}`, ...groups.map((group) => `--as-group=${group}`), `--kubeconfig=${inject("kubeconfig")}`];
      try {
        await run(inject("kubectl"), args);
        return true;
      } catch (error) {
        if ((error as { stdout?: string }).stdout?.trim() === "no") return false;
        throw error;
      }
    };
    expect(await allowed("list", "jane", ["system:authenticated"])).toBe(true);
    expect(await allowed("get", "jane", ["system:authenticated"])).toBe(true);
    expect(await allowed("create", "jane", ["system:authenticated"])).toBe(false);
    expect(await allowed("update", "jane", ["system:authenticated"])).toBe(false);
    expect(await allowed("create", "root", ["system:masters"])).toBe(true);
  });
});

function condition(raw: KubeObject | undefined): { status: string; message: string } | undefined {
  const conditions = (raw?.status as { conditions?: { type: string; status: string; message: string }[] } | undefined)?.conditions;
  return conditions?.find((entry) => entry.type === "TemplateCurrent");
}
