/**
 * One-command deploy from the catalog, end to end on the local cluster: given the built-in
 * mysql-ha template (deploy/catalog/) and the operator running, when a user runs
 * `steward create shop-db --template mysql-ha --size small --wait`, then the CLI returns once the
 * MariaDB cluster is Ready, its backups are scheduled, and a client connects with the
 * connection Secret and writes.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { builtinTemplates } from "../../catalog/builtin.js";
import { TEMPLATE_ANNOTATIONS, databaseTemplate } from "../../shared/api/index.js";
import { KubeClient, RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { startOperatorProcess, type OperatorProcess } from "../fixtures/operator.js";
import { connectionOf, createLocalBackupStorage, ensureCrds, readCluster } from "./cluster-fixtures.js";
import { freshNamespace, waitFor } from "./local-fixtures.js";
import { connect } from "./mysql-fixtures.js";

const run = promisify(execFile);
const STEWARD = join(import.meta.dirname, "..", "..", "bin", "steward.js");
let namespace = "";
let remove: () => Promise<void> = async () => {};
let client: KubeClient;
let operator: OperatorProcess | undefined;

beforeAll(async () => {
  ({ namespace, remove } = await freshNamespace("catalog-e2e"));
  client = KubeClient.fromKubeconfig(inject("kubeconfig"));
  await ensureCrds(client);
  // The storage the built-in templates lock their backups to, as steward local up makes it.
  await createLocalBackupStorage(client, namespace, inject("s3"), { name: "backups", prefix: `${namespace}/` });
  for (const template of builtinTemplates()) await client.apply(template as unknown as KubeObject);
  operator = startOperatorProcess({ kubeconfig: inject("kubeconfig"), namespace, identity: "catalog-e2e" });
  await waitFor("mysql-ha's admission policy", async () => {
    const raw = await client.get(RESOURCES.DatabaseTemplate, undefined, "mysql-ha");
    const template = raw ? databaseTemplate.parse(raw) : undefined;
    return template?.status?.conditions?.some((condition) => condition.type === "PolicyReady" && condition.status === "True") === true;
  }, 60_000);
  // The API server compiles a changed policy a moment after it is stored: wait until it admits the template.
  await waitFor("the API server to admit clusters from mysql-ha", async () => {
    try {
      await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "probe", namespace }, spec: { template: { name: "mysql-ha" } } }, { dryRun: true });
      return true;
    } catch {
      return false;
    }
  }, 30_000);
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await client?.close();
  await remove();
});

describe("steward create from the catalog", () => {
  it("completes template names and the chosen template's sizes from the API", async () => {
    // As the shell scripts ask, with the user's KUBECONFIG in the environment.
    const env = { ...process.env, KUBECONFIG: inject("kubeconfig") };
    const complete = async (...words: string[]) => (await run(process.execPath, [STEWARD, "completion", "__complete", "--", ...words], { env })).stdout.trim().split("\n");
    expect(await complete("create", "shop-db", "--template", "mysql-")).toEqual(["mysql-84-ha", "mysql-ha"]);
    const sizes = databaseTemplate.parse(await client.get(RESOURCES.DatabaseTemplate, undefined, "mysql-ha")).spec.sizes.map((size) => size.name);
    expect(await complete("create", "shop-db", "--template", "mysql-ha", "--size", "")).toEqual(sizes);
  });


  it("gives a Ready MariaDB cluster with backups scheduled that a client reaches with the connection Secret", async () => {
    const { stdout } = await run(process.execPath, [STEWARD, "create", "shop-db", "--template", "mysql-ha", "--size", "small", "--wait", "--timeout", "600", "-n", namespace, "--kubeconfig", inject("kubeconfig")], { timeout: 660_000 });
    expect(stdout).toContain("shop-db is Ready");
    expect(stdout).toContain(`kubectl get secret shop-db-conn -n ${namespace}`);

    const cluster = await readCluster(client, namespace, "shop-db");
    expect(cluster?.spec).toMatchObject({ engine: "mysql", flavor: "mariadb", version: "10.11", replicas: 3, backup: { storage: "backups", schedule: "0 3 * * *", pointInTime: { enabled: true } } });
    expect(cluster?.metadata.annotations?.[TEMPLATE_ANNOTATIONS.generation]).toBeDefined();
    expect(cluster?.status?.phase).toBe("Ready");
    await waitFor("the next scheduled backup in the status", async () => Boolean((await readCluster(client, namespace, "shop-db"))?.status?.nextBackup), 60_000);

    const connection = await connect(await connectionOf(client, namespace, "shop-db"));
    try {
      await connection.query("CREATE TABLE orders (id INT PRIMARY KEY)");
      await connection.query("INSERT INTO orders VALUES (1), (2)");
      const [rows] = await connection.query("SELECT COUNT(*) AS n FROM orders");
      expect((rows as { n: number }[])[0]!.n).toBe(2);
    } finally {
      await connection.end();
    }
  }, 700_000);
});
