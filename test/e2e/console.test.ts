/**
 * The web console end to end, in Debian's chromium, against the local cluster: real
 * kube-apiserver with RBAC, the operator as a process, a 1-instance MariaDB cluster, the local
 * S3 server. Read as a runbook:
 * - given the console open on the database list, when a cluster is created, then its row
 *   appears and its phase moves to Ready without a reload;
 * - "Back up now" on the detail page shows the backup reach Completed;
 * - the restore dialog, driven with the keyboard only, restores that backup into a new cluster
 *   and the restore reaches Completed; it offers a point in time inside the recoverable window
 *   (shown in UTC and the browser's zone) and refuses one outside it; an in-place restore stays refused (in the page and by
 *   the server) until the cluster's name is typed;
 * - a ServiceAccount bound to the built-in "view" ClusterRole signs in with its token and sees
 *   the mutating buttons disabled with the reason;
 * - from a catalog template, with the keyboard only (focus always visible, errors in live
 *   regions): a form from its parameters, a value below the parameter's minimum
 *   refused in the page and by the API server's admission (shown against the field), a server
 *   dry run, Create, and the new cluster Ready; "Test connection" on a backup storage makes a
 *   real S3 call;
 * - with the archiver stopped, two binlogs purged before their upload leave a gap that the
 *   status reports and the detail page and the restore dialog warn of (a time inside refused);
 * - storage growth warns that it can't be undone; a smaller size is refused by the page and by the
 *   API server (CEL), whose message the console passes on;
 * - with the event stream blocked the page polls, and still shows a new backup reach Completed;
 * - no page has a serious or critical axe violation; mutations without the CSRF token are refused.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { createConnection } from "mysql2/promise";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { KubeClient, RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { readSecret } from "../../shared/secrets.js";
import { WEB_ROOT } from "../../console/command.js";
import { startConsole, type RunningConsole } from "../../console/server/server.js";
import { TEMPLATE_TYPE } from "../../console/server/api.js";
import { helmBinary } from "../../local/operator-chart.js";
import { startOperatorProcess, type OperatorProcess } from "../fixtures/operator.js";
import { createLocalBackupStorage, ensureCrds } from "./cluster-fixtures.js";
import { focusShown, launchChromium, requestToken, retype, screenshots, seriousViolations, signalContainer, tabTo, tabToMatch } from "./console-fixtures.js";
import { freshNamespace, runtime } from "./local-fixtures.js";
import type { DatabaseCluster } from "../../shared/api/index.js";

const CLUSTER = "shopdb";
let namespace = "";
let remove: () => Promise<void> = async () => {};
let client: KubeClient;
let operator: OperatorProcess | undefined;
let asAdmin: RunningConsole;
let withTokens: RunningConsole;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const viewerBinding = `console-viewer-${Math.random().toString(36).slice(2, 8)}`;
const TEMPLATE = `console-test-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  ({ namespace, remove } = await freshNamespace("console"));
  client = KubeClient.fromKubeconfig(inject("kubeconfig"));
  await ensureCrds(client);
  // The aggregated roles that let the built-in view/edit roles cover Steward's kinds, as the chart renders them.
  const chart = join(process.cwd(), "deploy", "helm", "steward");
  const { stdout: rendered } = await promisify(execFile)(await helmBinary(), ["template", "steward", chart, "--namespace", "steward-system", "--show-only", "templates/console.yaml"]);
  for (const document of parseAllDocuments(rendered)) {
    const object = document.toJS() as KubeObject;
    if (object.kind === "ClusterRole") await client.apply(object);
  }
  const s3 = inject("s3");
  await createLocalBackupStorage(client, namespace, s3, { name: "s3", prefix: `${namespace}/` });
  // The same S3 by its ClusterIP: "Test connection" runs on this host, where the in-cluster name
  // may resolve to another local cluster's S3 (they share /etc/hosts; see the README).
  await client.create({
    apiVersion: "steward.dev/v1alpha1",
    kind: "BackupStorage",
    metadata: { name: "s3-by-ip", namespace },
    spec: { s3: { endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, prefix: `${namespace}/`, forcePathStyle: true, credentialsSecret: { name: "s3-creds" }, caBundle: s3.caBundle } },
  } as KubeObject);
  operator = startOperatorProcess({ kubeconfig: inject("kubeconfig"), namespace, identity: "console-e2e" });
  asAdmin = await startConsole({ port: 0, listen: "127.0.0.1", auth: "kubeconfig", kubeconfig: inject("kubeconfig"), webRoot: WEB_ROOT });
  withTokens = await startConsole({ port: 0, listen: "127.0.0.1", auth: "token", kubeconfig: inject("kubeconfig"), webRoot: WEB_ROOT });
  browser = await launchChromium();
  // A zone other than UTC, so times show both ways.
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: "Europe/Paris" });
  page = await context.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await asAdmin?.close();
  await withTokens?.close();
  await operator?.stop();
  await client?.delete(RESOURCES.ClusterRoleBinding, undefined, viewerBinding);
  await client?.delete(RESOURCES.DatabaseTemplate, undefined, TEMPLATE);
  await client?.close();
  await remove();
});

async function expectAccessible(what: string, on: Page = page): Promise<void> {
  expect(await seriousViolations(on), what).toEqual([]);
}

function row(attribute: string, value: string) {
  return page.locator(`[${attribute}="${value}"]`);
}

describe("the web console", () => {
  it("lists a new cluster and shows its phase change to Ready without a reload", async () => {
    const response = await page.goto(asAdmin.url);
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await page.locator("h1", { hasText: "Databases" }).waitFor();
    await page.evaluate(() => void ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    await client.create({
      apiVersion: "steward.dev/v1alpha1",
      kind: "DatabaseCluster",
      metadata: { name: CLUSTER, namespace },
      spec: { engine: "mysql", flavor: "mariadb", version: "10.11", replicas: 1, storage: { size: "1Gi" }, backup: { storage: "s3", pointInTime: { enabled: true } } },
    } as KubeObject);
    const clusterRow = row("data-cluster", `${namespace}/${CLUSTER}`);
    await clusterRow.waitFor({ timeout: 30_000 });
    await clusterRow.locator(".badge", { hasText: "Ready" }).waitFor({ timeout: 240_000 });
    await expect(clusterRow.locator(".reason").textContent()).resolves.toMatch(/\w/);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await expectAccessible("databases page");
    await screenshots(page, "databases");
  });

  it("backs up now from the detail page and shows the backup Completed", async () => {
    await page.locator(`a[href="#/db/${namespace}/${CLUSTER}"]`).click();
    await page.locator("#detail-title", { hasText: CLUSTER }).waitFor();
    await page.locator("#backup-now:not([disabled])").click();
    const backupRow = page.locator("#backups tbody tr[data-backup]").first();
    await backupRow.waitFor({ timeout: 30_000 });
    await backupRow.locator(".badge", { hasText: /Completed|Failed/ }).waitFor({ timeout: 240_000 });
    expect(await backupRow.locator(".badge").textContent()).toBe("Completed");
    await expect(page.locator("#events").textContent()).resolves.toContain("became Ready");
    await expectAccessible("detail page");
    await screenshots(page, "detail");
    await page.locator("#reveal-password:not([disabled])").click();
    await expect(page.locator("#password-value").textContent()).resolves.toMatch(/^.{16,}$/);
    // TLS is on by default: the Connect card says so, with the certificate's issuer and expiry.
    await expect(page.locator("#tls-state").textContent()).resolves.toMatch(/^offered \(plaintext accepted\); certificate from operator-ca expires \d{4}-\d{2}-\d{2} \(in (89|90) days\)$/);
  });

  it("restores that backup into a new cluster with the keyboard only, and shows the restore Completed", async () => {
    await tabTo(page, "restore-open");
    await page.keyboard.press("Enter");
    await page.locator("#restore-dialog[open]").waitFor();
    await expectAccessible("restore dialog");
    await screenshots(page, "restore-dialog");
    const newName = await page.locator("#restore-new-name").inputValue();
    await tabTo(page, "restore-submit");
    await page.keyboard.press("Enter");
    await page.locator("#restore-dialog [role=status]").waitFor();
    await page.keyboard.press("Escape");
    await page.locator("#restore-dialog").waitFor({ state: "detached" });
    const restoreRow = row("data-restore", newName);
    await restoreRow.locator(".badge", { hasText: /Completed|Failed/ }).waitFor({ timeout: 300_000 });
    expect(await restoreRow.textContent()).toContain("Completed");
  });

  it("refuses an in-place restore until the cluster's name is typed, in the page and at the server", async () => {
    await page.locator("#restore-open").click();
    await page.locator("#restore-dialog[open]").waitFor();
    await page.locator('input[name="target"][value="inPlace"]').check();
    const submit = page.locator("#restore-submit");
    expect(await submit.isDisabled()).toBe(true);
    expect(await page.locator("#restore-why").textContent()).toContain(`type ${CLUSTER} to confirm`);
    await page.locator("#restore-confirm").fill(`${CLUSTER}x`);
    expect(await submit.isDisabled()).toBe(true);
    await page.locator("#restore-confirm").fill(CLUSTER);
    expect(await submit.isDisabled()).toBe(false);
    // The server refuses the same request without the typed name, whatever the page does.
    const backup = await page.locator("#restore-backup").inputValue();
    const refused = await page.evaluate(async ({ namespace, backup }) => {
      const session = (await (await fetch("/api/session")).json()) as { csrf: string };
      const answer = await fetch("/api/restores", { method: "POST", headers: { "content-type": "application/json", "x-steward-csrf": session.csrf }, body: JSON.stringify({ namespace, name: "sneaky", spec: { source: { backup }, target: { inPlace: true } } }) });
      return { status: answer.status, body: await answer.text() };
    }, { namespace, backup });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain("type the cluster's name");
    expect(await client.get(RESOURCES.DatabaseRestore, namespace, "sneaky")).toBeUndefined();
    await page.keyboard.press("Escape");
  });

  it("offers a point in time inside the recoverable window, in UTC and the browser's zone, and refuses one outside it", async () => {
    // The archive's end moves with new binlog events: write until the window opens past the backup.
    const credentials = await readSecret(client, namespace, `${CLUSTER}-credentials`);
    const connection = await createConnection({ host: `${CLUSTER}-primary.${namespace}.svc`, port: 3306, user: "root", password: credentials!.root, database: CLUSTER });
    await connection.query("CREATE TABLE IF NOT EXISTS ticks (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6))");
    const deadline = Date.now() + 120_000;
    while (!(await page.locator("#backups .sub", { hasText: "Point in time:" }).count())) {
      if (Date.now() > deadline) throw new Error("no point-in-time window within 120 s of writes");
      await connection.query("INSERT INTO ticks (at) VALUES (NOW(6))");
      await sleep(1000);
    }
    await connection.end();
    await page.locator("#restore-open").click();
    await page.locator('input[name="from"][value="time"]').check();
    const window = await page.locator("#restore-window").textContent();
    expect(window).toMatch(/^Recoverable window: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(.* Europe\/Paris\) to .* UTC \(.* Europe\/Paris\)$/);
    expect(await page.locator("#restore-submit").isDisabled()).toBe(false);
    await page.locator("#restore-time").fill("2020-01-01T00:00:00Z");
    expect(await page.locator("#restore-submit").isDisabled()).toBe(true);
    expect(await page.locator("#restore-why").textContent()).toContain("before the earliest recoverable time");
    await page.keyboard.press("Escape");
  });

  it("warns of a gap in the window after binlogs left the server before the stopped archiver uploaded them", async () => {
    // Archiving cut for a while: the binlog-archiver container's processes stopped (SIGSTOP).
    const pod = (await runtime().pods()).find((item) => item.namespace === namespace && item.name === `${CLUSTER}-0`);
    const archiver = pod?.containers.find((container) => container.name === "binlog-archiver");
    expect(archiver?.pid, "the archiver sidecar's process").toBeDefined();
    const credentials = await readSecret(client, namespace, `${CLUSTER}-credentials`);
    const connection = await createConnection({ host: `${CLUSTER}-primary.${namespace}.svc`, port: 3306, user: "root", password: credentials!.root, database: CLUSTER });
    signalContainer(archiver!.pid!, "SIGSTOP");
    try {
      // Two binlogs written and closed, then purged before any upload: they never reach the archive.
      for (let round = 0; round < 2; round++) {
        await connection.query("INSERT INTO ticks (at) VALUES (NOW(6))");
        await connection.query("FLUSH BINARY LOGS");
      }
      const [rows] = await connection.query("SHOW MASTER STATUS");
      await connection.query(`PURGE BINARY LOGS TO '${(rows as { File: string }[])[0]!.File}'`);
    } finally {
      signalContainer(archiver!.pid!, "SIGCONT");
    }
    // The archiver goes on from the binlogs still there; the next upload shows the hole.
    const deadline = Date.now() + 120_000;
    let gaps: { from: string; to: string; reason: string }[] = [];
    while (gaps.length === 0) {
      if (Date.now() > deadline) throw new Error(`no gap in status.pointInTime 120 s after the purge: ${JSON.stringify((await client.get(RESOURCES.DatabaseCluster, namespace, CLUSTER) as { status?: unknown })?.status)}`);
      await connection.query("INSERT INTO ticks (at) VALUES (NOW(6))");
      await sleep(2000);
      gaps = ((await client.get(RESOURCES.DatabaseCluster, namespace, CLUSTER)) as unknown as DatabaseCluster).status?.pointInTime?.gaps ?? [];
    }
    await connection.end();
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.reason).toMatch(/^\d+ log segments? of shopdb-0 between \S+ and \S+ never reached the archive; no backup since: take one/);
    await page.locator("#window-gaps", { hasText: "The recoverable window has a gap" }).waitFor({ timeout: 30_000 });
    expect(await page.locator("#window-gaps li").textContent()).toContain("never reached the archive");
    await page.locator("#restore-open").click();
    await page.locator('input[name="from"][value="time"]').check();
    expect(await page.locator("#restore-gaps").textContent()).toContain("no point in time inside it can be restored");
    const inside = new Date((Date.parse(gaps[0]!.from) + Date.parse(gaps[0]!.to)) / 2).toISOString();
    await page.locator("#restore-time").fill(inside);
    expect(await page.locator("#restore-submit").isDisabled()).toBe(true);
    expect(await page.locator("#restore-why").textContent()).toContain("inside a gap of the window");
    await expectAccessible("restore dialog with a gap");
    await screenshots(page, "restore-dialog-gap");
    await page.keyboard.press("Escape");
  });

  it("warns that storage can't shrink, and the API server refuses a smaller size", async () => {
    expect(await page.locator(".warn-text", { hasText: "never shrink" }).count()).toBe(1);
    await page.locator("#operations input[type=text]").fill("512Mi");
    expect(await page.locator("#grow").isDisabled()).toBe(true);
    expect(await page.locator("#grow-why").textContent()).toBe("storage can't shrink below 1Gi");
    // Past the page, the CRD's CEL rule refuses it and the console passes the API server's words on.
    const refused = await page.evaluate(async ({ namespace, name }) => {
      const session = (await (await fetch("/api/session")).json()) as { csrf: string };
      const answer = await fetch(`/api/clusters/${namespace}/${name}`, { method: "PATCH", headers: { "content-type": "application/json", "x-steward-csrf": session.csrf }, body: JSON.stringify({ storageSize: "512Mi" }) });
      return { status: answer.status, body: await answer.text() };
    }, { namespace, name: CLUSTER });
    expect(refused.status).toBe(422);
    expect(refused.body).toContain("size may grow but never shrink");
  });

  it("refuses a mutation without the session's CSRF token", async () => {
    const status = await page.evaluate(async (namespace) => (await fetch("/api/backups", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ namespace, cluster: "shopdb" }) })).status, namespace);
    expect(status).toBe(403);
  });

  it("deploys from the catalog with the keyboard only: a form from the template's parameters, a refusal announced against its field, a server dry run, then Ready", async () => {
    await client.apply({
      apiVersion: "steward.dev/v1alpha1",
      kind: "DatabaseTemplate",
      metadata: { name: TEMPLATE },
      spec: {
        title: "MariaDB, one instance (console test)",
        description: "One MariaDB 10.11 instance with on-demand backups.",
        engine: "mysql",
        flavor: "mariadb",
        sizes: [
          { name: "tiny", title: "1 instance, 1Gi", replicas: 1, storage: { size: "1Gi" } },
          { name: "roomy", title: "1 instance, 2Gi", replicas: 1, storage: { size: "2Gi" } },
        ],
        defaultSize: "tiny",
        cluster: { version: "10.11", backup: { storage: "s3" } },
        parameters: [{ name: "storage", path: "storage.size", title: "Storage per instance", type: "quantity", minimum: "1Gi" }],
        locked: ["backup.storage"],
      },
    } as KubeObject);
    // The template is usable once the operator has installed its admission policy.
    const deadline = Date.now() + 60_000;
    while (!((await client.get(TEMPLATE_TYPE, undefined, TEMPLATE)) as { status?: { conditions?: { type: string; status: string }[] } } | undefined)?.status?.conditions?.some((condition) => condition.type === "PolicyReady" && condition.status === "True")) {
      if (Date.now() > deadline) throw new Error(`template ${TEMPLATE} has no PolicyReady condition after 60 s`);
      await sleep(500);
    }
    await sleep(2000); // a new admission policy takes a moment to be enforced
    // From here on the keyboard only: Tab, Enter, Space, arrow keys and typing.
    await page.goto(asAdmin.url);
    await page.locator("h1", { hasText: "Databases" }).waitFor();
    await tabToMatch(page, 'nav a[href="#/catalog"]');
    expect(await focusShown(page), "focus visible on the Catalog link").toBe(true);
    await page.keyboard.press("Enter");
    await tabToMatch(page, `a[href="#/catalog/${TEMPLATE}"]`);
    await page.keyboard.press("Enter");
    await tabTo(page, "deploy-namespace");
    expect(await focusShown(page), "focus visible in a text field").toBe(true);
    await retype(page, namespace);
    await tabTo(page, "deploy-name");
    await retype(page, "fromcat");
    // The sizes are a radio group: the arrow keys move the choice, the summary follows.
    await tabToMatch(page, 'input[name="size"]:checked');
    expect(await focusShown(page), "focus visible on a radio button").toBe(true);
    await page.keyboard.press("ArrowDown");
    await page.locator(".summary", { hasText: "size roomy" }).waitFor();
    await page.keyboard.press("ArrowUp");
    await page.locator(".summary", { hasText: "size tiny" }).waitFor();
    await tabTo(page, "param-storage");
    await retype(page, "512Mi");
    // The page checks the parameter with the template's own schema, and so does the API server;
    // either refusal is in a live region the field names as its description.
    const storageError = page.locator("#param-storage-error");
    expect(await storageError.textContent()).toContain("Storage per instance");
    expect(await storageError.getAttribute("aria-live")).toBe("polite");
    expect(await page.locator("#param-storage").getAttribute("aria-describedby")).toBe("param-storage-error");
    expect(await page.locator("#param-storage").getAttribute("aria-invalid")).toBe("true");
    await tabTo(page, "deploy-dry-run");
    expect(await focusShown(page), "focus visible on a button").toBe(true);
    await page.keyboard.press("Space");
    await page.locator("#param-storage-error", { hasText: "spec.template.parameters.storage" }).waitFor({ timeout: 30_000 });
    expect(await page.locator('.deploy [role="alert"]').textContent()).toContain("spec.template.parameters.storage");
    expect(await client.get(RESOURCES.DatabaseCluster, namespace, "fromcat")).toBeUndefined();
    await tabTo(page, "param-storage");
    await retype(page, "1Gi");
    expect(await storageError.textContent()).toBe("");
    await tabTo(page, "deploy-dry-run");
    await page.keyboard.press("Enter");
    expect(await page.locator("pre.yaml").textContent()).toContain("size: 1Gi"); // resolved in the page, as the operator will
    await page.locator("#deploy-checked", { hasText: "The API server accepted fromcat" }).waitFor({ timeout: 30_000 });
    expect(await page.locator("#deploy-checked").getAttribute("role")).toBe("status");
    await expectAccessible("catalog form");
    await screenshots(page, "catalog-form");
    await tabTo(page, "deploy-create");
    await page.keyboard.press("Enter");
    await tabToMatch(page, `.ok-text a[href="#/db/${namespace}/fromcat"]`);
    await page.keyboard.press("Enter");
    await page.locator("#detail-title", { hasText: "fromcat" }).waitFor();
    await page.locator(".title-row .badge", { hasText: "Ready" }).waitFor({ timeout: 240_000 });
    const created = (await client.get(RESOURCES.DatabaseCluster, namespace, "fromcat")) as unknown as { spec: { storage: { size: string }; backup?: { storage: string } } };
    expect(created.spec).toMatchObject({ storage: { size: "1Gi" }, backup: { storage: "s3" } });
  });

  it("falls back to polling when the event stream cannot be opened, and still shows changes without a reload", async () => {
    const polled = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const pollingPage = await polled.newPage();
    await pollingPage.route("**/api/live", (route) => route.abort());
    await pollingPage.goto(`${asAdmin.url}#/db/${namespace}/${CLUSTER}`);
    await pollingPage.locator(".live.polling").waitFor({ timeout: 30_000 });
    await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name: "polled-1", namespace }, spec: { cluster: CLUSTER } } as KubeObject);
    await pollingPage.locator('[data-backup="polled-1"] .badge', { hasText: "Completed" }).waitFor({ timeout: 120_000 });
    await polled.close();
  });

  it("tests a backup storage's connection with a real S3 call", async () => {
    await page.goto(`${asAdmin.url}#/admin`);
    await page.locator(`#test-${namespace}-s3-by-ip:not([disabled])`).click();
    const result = row("data-storage", `${namespace}/s3-by-ip`).locator("[role=status]");
    await result.filter({ hasText: /^(OK|Failed)/ }).waitFor({ timeout: 30_000 });
    expect(await result.textContent()).toMatch(/^OK: Reached s3:\/\//);
    await expectAccessible("admin page");
    await screenshots(page, "admin");
  });

  it("shows a view-only user (a ServiceAccount bound to the built-in view role) disabled buttons with the reason", async () => {
    await client.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "viewer", namespace } } as KubeObject);
    await client.create({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: viewerBinding },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "ServiceAccount", name: "viewer", namespace }],
    } as KubeObject);
    const token = await requestToken(client.access, namespace, "viewer");
    const viewer = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const viewerPage = await viewer.newPage();
    await viewerPage.goto(withTokens.url);
    await viewerPage.locator("#token").fill(token);
    await viewerPage.keyboard.press("Enter");
    await viewerPage.locator(`a[href="#/db/${namespace}/${CLUSTER}"]`).click();
    const backupNow = viewerPage.locator("#backup-now");
    // While the SelfSubjectAccessReviews are out, the buttons say "checking permissions…": wait for the answers.
    for (const why of ["#backup-now-why", "#reveal-password-why", "#switchover-why"]) await viewerPage.locator(why, { hasText: "may not" }).waitFor({ timeout: 30_000 });
    expect(await backupNow.isDisabled()).toBe(true);
    expect(await viewerPage.locator("#backup-now-why").textContent()).toContain(`system:serviceaccount:${namespace}:viewer may not create databasebackups in namespace ${namespace}`);
    expect(await viewerPage.locator("#restore-open").isDisabled()).toBe(true);
    expect(await viewerPage.locator("#reveal-password").isDisabled()).toBe(true);
    expect(await viewerPage.locator("#reveal-password-why").textContent()).toContain("may not get secrets");
    expect(await viewerPage.locator("#switchover-why").textContent()).toContain(`may not patch databaseclusters ${CLUSTER}`);
    await expectAccessible("detail page, view-only", viewerPage);
    await screenshots(viewerPage, "detail-view-only");
    await viewer.close();
  });
});
