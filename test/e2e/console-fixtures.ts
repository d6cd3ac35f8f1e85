/**
 * The console's browser tests: Debian's chromium driven by playwright-core (no browser
 * download), axe-core's accessibility rules, and screenshots at desktop and phone width kept
 * in test-artifacts/console (gitignored) for people to look at.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { chromium, type Browser, type Page } from "playwright-core";

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
