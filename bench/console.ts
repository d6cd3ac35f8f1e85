/**
 * The web console with 1,000 DatabaseClusters in the real API server (no engines run: the
 * list is what is measured), in Debian's chromium: time to first contentful paint, time until
 * the list is usable (all 1,000 counted, the first page of rows drawn), and the latency from a
 * phase change written to a cluster's status to the new phase on screen (median of 5).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startControlPlane } from "../local/controlplane/launcher.js";
import { committedCrds } from "../shared/api/generate-crds.js";
import { KubeClient, RESOURCES } from "../shared/k8s/client.js";
import { WEB_ROOT } from "../console/command.js";
import { startConsole } from "../console/server/server.js";
import { launchChromium } from "../test/e2e/console-fixtures.js";

const round = (value: number) => Math.round(value * 10) / 10;

/** The little of the DOM the predicates read (this file is compiled without the DOM's types); inlined casts only, since the predicates run in the page. */
interface Dom {
  document: { querySelector(selector: string): { textContent: string | null } | null; querySelectorAll(selector: string): { length: number } };
}

export async function benchConsole(count = 1000): Promise<Record<string, number | string>> {
  const stateDir = mkdtempSync(join(tmpdir(), "steward-bench-console-"));
  const controlPlane = await startControlPlane({ stateDir, serviceCidr: "10.96.62.0/24" });
  try {
    const client = KubeClient.fromKubeconfig(controlPlane.kubeconfig);
    for (const crd of committedCrds()) await client.apply(crd);
    await sleep(2000); // the CRDs become served a moment after they are created
    const namespace = "bench";
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    const name = (i: number) => `db-${String(i).padStart(4, "0")}`;
    const createStart = performance.now();
    // Four writers at once: the API server, not this loop, should be what limits creation.
    await Promise.all(
      [0, 1, 2, 3].map(async (lane) => {
        for (let i = lane; i < count; i += 4) {
          await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: name(i), namespace }, spec: { engine: "redis", replicas: 3 } });
          await client.mergePatch(RESOURCES.DatabaseCluster, namespace, name(i), { status: { phase: "Ready", readyReplicas: 3, currentPrimary: `${name(i)}-0` } }, { subresource: "status" });
        }
      }),
    );
    const createMs = performance.now() - createStart;
    const running = await startConsole({ port: 0, listen: "127.0.0.1", auth: "kubeconfig", kubeconfig: controlPlane.kubeconfig, webRoot: WEB_ROOT });
    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await page.goto(running.url);
      // Functions, not strings: the console's Content-Security-Policy forbids eval, and Playwright evaluates string predicates with it.
      await page.waitForFunction((expected) => (globalThis as unknown as Dom).document.querySelector(".count")?.textContent === expected && (globalThis as unknown as Dom).document.querySelectorAll("tr[data-cluster]").length === 50, `${count} of ${count} databases`, { timeout: 120_000, polling: "raf" });
      const usableMs = await page.evaluate<number>("performance.now()");
      const paintMs = await page.evaluate<number>("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1");
      const latencies: number[] = [];
      for (let round = 0; round < 5; round++) {
        const phase = round % 2 === 0 ? "Degraded" : "Ready";
        const target = name(round);
        const started = performance.now();
        await client.mergePatch(RESOURCES.DatabaseCluster, namespace, target, { status: { phase } }, { subresource: "status" });
        await page.waitForFunction(([selector, expected]) => (globalThis as unknown as Dom).document.querySelector(selector)?.textContent === expected, [`tr[data-cluster="${namespace}/${target}"] .badge`, phase] as const, { timeout: 30_000, polling: "raf" });
        latencies.push(performance.now() - started);
      }
      latencies.sort((a, b) => a - b);
      const result = {
        "console.clusters": count,
        "console.create_clusters_s": round(createMs / 1000),
        "console.first_contentful_paint_ms": round(paintMs),
        "console.list_usable_ms": round(usableMs),
        "console.phase_change_to_screen_ms_median": round(latencies[2]!),
        "console.phase_change_to_screen_ms_max": round(latencies[4]!),
      };
      console.log(result);
      return result;
    } finally {
      await browser.close();
      await running.close();
    }
  } finally {
    await controlPlane.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
