/**
 * The console's browser tests: Debian's chromium driven by playwright-core (no browser
 * download), axe-core's accessibility rules, and screenshots at desktop and phone width kept
 * in test-artifacts/console (gitignored) for people to look at.
 */
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import type { KubeConfig } from "@kubernetes/client-node";
import { chromium, type Browser, type Page } from "playwright-core";
import { KubeTransport } from "../../shared/k8s/transport.js";
import type { ClusterAccess } from "../../shared/k8s/kubeconfig.js";

export const ARTIFACTS = join(process.cwd(), "test-artifacts", "console");

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}

/** The serious and critical axe violations on the page as it is now, one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).slice(0, 3).join("; ")})`);
}

/** Screenshots at 1280x800 and at a 390-px-wide phone, full page. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(ARTIFACTS, `${name}-desktop.png`), fullPage: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}-desktop-top.png`) });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(ARTIFACTS, `${name}-phone.png`), fullPage: true });
  if (viewport) await page.setViewportSize(viewport);
}

/** Presses Tab until the element with `id` has focus (keyboard only), failing after `limit` presses. */
export async function tabTo(page: Page, id: string, limit = 80): Promise<void> {
  for (let press = 0; press < limit; press++) {
    // Casts, not DOM types (this file is compiled without them); a function, since the page's CSP forbids eval.
    if ((await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id ?? "")) === id) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`#${id} not reached with ${limit} presses of Tab`);
}

/** Presses Tab until the focused element matches `selector` (keyboard only), failing after `limit` presses. */
export async function tabToMatch(page: Page, selector: string, limit = 80): Promise<void> {
  for (let press = 0; press < limit; press++) {
    if (await page.evaluate((wanted) => Boolean((globalThis as unknown as { document: { activeElement: { matches(selector: string): boolean } | null } }).document.activeElement?.matches(wanted)), selector)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`${selector} not reached with ${limit} presses of Tab`);
}

/** Whether the focused element shows it: matched by :focus-visible and drawn with an outline. */
export async function focusShown(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const scope = globalThis as unknown as { document: { activeElement: { matches(selector: string): boolean } | null }; getComputedStyle(element: unknown): { outlineStyle: string; outlineWidth: string } };
    const element = scope.document.activeElement;
    if (!element || !element.matches(":focus-visible")) return false;
    const style = scope.getComputedStyle(element);
    return style.outlineStyle !== "none" && Number.parseFloat(style.outlineWidth) > 0;
  });
}

/** Replaces the focused text field's value by typing, as a keyboard user does (select all, type). */
export async function retype(page: Page, text: string): Promise<void> {
  await page.keyboard.press("Control+A");
  await page.keyboard.type(text);
}

/** SIGSTOPs (or SIGCONTs) a container's processes: its process and every descendant, read from /proc. */
export function signalContainer(rootPid: number, signal: "SIGSTOP" | "SIGCONT"): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the 2nd field after the parenthesised command name.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // the process ended while listing
    }
  }
  const pids = [rootPid];
  for (let index = 0; index < pids.length; index++) pids.push(...(children.get(pids[index]!) ?? []));
  for (const pid of pids) process.kill(pid, signal);
  return pids.length;
}

/** A bearer token for a ServiceAccount (the TokenRequest subresource), as `kubectl create token` gets one. */
export async function requestToken(kubeConfig: KubeConfig | ClusterAccess, namespace: string, serviceAccount: string): Promise<string> {
  const transport = new KubeTransport(kubeConfig);
  try {
    const answer = (await transport.json({
      method: "POST",
      path: `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
    })) as { status: { token: string } };
    return answer.status.token;
  } finally {
    await transport.close();
  }
}
