/**
 * The console as the Helm chart runs it in the cluster (console.enabled): the chart's console
 * objects rendered by the real `helm` and applied in a namespace that enforces Pod Security
 * "restricted"; the pod runs this checkout's `steward console --auth=token` with TLS from a
 * Secret, the API server's CA from the kube-root-ca.crt ConfigMap and no token of its own. Read
 * as a runbook:
 * - given the chart's console objects, the pod is admitted under "restricted" and turns Ready
 *   (an HTTPS probe), and the Service answers over TLS;
 * - a user signs in with their own ServiceAccount token (TokenRequest), bound to a Role that
 *   may read Steward's kinds in one namespace and nothing more; the console says who they are
 *   and, since they may not list across namespaces, shows their own namespace;
 * - what they may not do is disabled with the reason, and when the console is asked anyway, the
 *   API server refuses it as that user (the console forwards the user's identity; its own
 *   ServiceAccount is bound to nothing and has no token).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect as connectTls } from "node:tls";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { KubeClient, RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { helmBinary } from "../../local/operator-chart.js";
import { ensureCrds } from "./cluster-fixtures.js";
import { launchChromium, requestToken, screenshots, seriousViolations } from "./console-fixtures.js";
import { clients, readPod, restrictedNamespace, waitFor } from "./local-fixtures.js";

const run = promisify(execFile);
const RELEASE = "steward";
let namespace = "";
let remove: () => Promise<void> = async () => {};
let client: KubeClient;
let browser: Browser | undefined;
let url = "";

beforeAll(async () => {
  ({ namespace, remove } = await restrictedNamespace("console-ic"));
  client = KubeClient.fromKubeconfig(inject("kubeconfig"));
  await ensureCrds(client);
  // The console's own TLS certificate, self-signed for its Service name (cert-manager's job in production).
  const dir = mkdtempSync(join(tmpdir(), "console-tls-"));
  const host = `${RELEASE}-console.${namespace}.svc`;
  await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", `/CN=${host}`, "-addext", `subjectAltName=DNS:${host}`, "-keyout", join(dir, "tls.key"), "-out", join(dir, "tls.crt")]);
  await client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "steward-console-tls", namespace }, type: "kubernetes.io/tls", stringData: { "tls.crt": readFileSync(join(dir, "tls.crt"), "utf8"), "tls.key": readFileSync(join(dir, "tls.key"), "utf8") } } as KubeObject);
  rmSync(dir, { recursive: true, force: true });
  const chart = join(process.cwd(), "deploy", "helm", "steward");
  const { stdout } = await run(await helmBinary(), ["template", RELEASE, chart, "--namespace", namespace, "--set", "console.enabled=true", "--set", "image.repository=steward.local/steward", "--set", "image.tag=checkout", "--show-only", "templates/console.yaml"]);
  for (const document of parseAllDocuments(stdout)) {
    const object = document.toJS() as KubeObject | null;
    if (object) await client.apply(object);
  }
  // A user who may read Steward's kinds in this namespace (a Role) and do nothing else.
  await client.create({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "reader", namespace }, rules: [{ apiGroups: ["steward.dev"], resources: ["databaseclusters", "databasebackups", "databaserestores"], verbs: ["get", "list", "watch"] }] } as KubeObject);
  await client.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "reader", namespace } } as KubeObject);
  await client.create({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "reader", namespace }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" }, subjects: [{ kind: "ServiceAccount", name: "reader", namespace }] } as KubeObject);
  await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "ledger", namespace }, spec: { engine: "redis", replicas: 1, storage: { size: "1Gi" } } } as KubeObject);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await client?.close();
  await remove();
});

describe("the console in the cluster, from the Helm chart", () => {
  it("runs under Pod Security restricted, turns Ready on its HTTPS probe and serves TLS behind its Service", async () => {
    const { core } = clients();
    let podName = "";
    await waitFor(
      "the console pod Ready",
      async () => {
        const pods = await core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/name=${RELEASE}-console` });
        podName = pods.items[0]?.metadata?.name ?? "";
        return Boolean(pods.items[0]?.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True"));
      },
      90_000,
      500,
    ).catch(async (error: unknown) => {
      const events = await core.listNamespacedEvent({ namespace });
      throw new Error(`${String(error)}; events: ${events.items.map((event) => `${event.reason}: ${event.message}`).join(" | ")}`);
    });
    const pod = await readPod(namespace, podName);
    expect(pod?.spec?.automountServiceAccountToken).toBe(false);
    expect(pod?.spec?.containers[0]?.readinessProbe?.httpGet?.scheme).toBe("HTTPS");
    const service = await core.readNamespacedService({ name: `${RELEASE}-console`, namespace });
    url = `https://${service.spec!.clusterIP}/`;
    // The certificate from the Secret, served on the Service's port (checked by name below, not by a CA).
    const subject = await new Promise<string>((done, fail) => {
      const socket = connectTls({ host: service.spec!.clusterIP!, port: 443, servername: `${RELEASE}-console.${namespace}.svc`, rejectUnauthorized: false }, () => {
        done(String(socket.getPeerCertificate().subject?.CN));
        socket.end();
      });
      socket.once("error", fail);
    });
    expect(subject).toBe(`${RELEASE}-console.${namespace}.svc`);
  });

  it("signs a user in with their own token and forwards their identity: what they may not do is disabled, and the API server refuses it as them", async () => {
    expect(url, "the console's Service address from the previous case").not.toBe("");
    const token = await requestToken(client.access, namespace, "reader");
    const user = `system:serviceaccount:${namespace}:reader`;
    // A self-signed certificate for the Service name, reached by its ClusterIP.
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const response = await page.goto(url);
    expect(response?.headers()["strict-transport-security"]).toMatch(/max-age=\d+/);
    await page.locator("#token").fill(token);
    await page.keyboard.press("Enter");
    await page.locator("header", { hasText: user }).waitFor({ timeout: 30_000 });
    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.httpOnly && cookie.secure && cookie.sameSite === "Strict")).toBeDefined();
    expect(cookies.some((cookie) => cookie.value.includes(token.slice(-16)))).toBe(false);
    await page.locator("#namespace-scope", { hasText: `Showing namespace ${namespace} only.` }).waitFor({ timeout: 30_000 });
    await page.locator(`a[href="#/db/${namespace}/ledger"]`).click();
    await page.locator("#backup-now-why", { hasText: "may not" }).waitFor({ timeout: 30_000 });
    expect(await page.locator("#backup-now").isDisabled()).toBe(true);
    expect(await page.locator("#backup-now-why").textContent()).toContain(`${user} may not create databasebackups in namespace ${namespace}`);
    // Asked anyway, the console passes the request on as the user, and the API server says no to them.
    const refused = await page.evaluate(async ({ namespace }) => {
      const session = (await (await fetch("/api/session")).json()) as { csrf: string };
      const answer = await fetch("/api/backups", { method: "POST", headers: { "content-type": "application/json", "x-steward-csrf": session.csrf }, body: JSON.stringify({ namespace, cluster: "ledger" }) });
      return { status: answer.status, body: await answer.text() };
    }, { namespace });
    expect(refused.status).toBe(403);
    expect((JSON.parse(refused.body) as { message: string }).message).toContain(`User "${user}" cannot create resource "databasebackups"`);
    expect((await client.list(RESOURCES.DatabaseBackup, namespace)).items).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, "in-cluster-detail");
    await context.close();
  });
});
