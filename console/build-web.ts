import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/**
 * Builds the web app into console/web/dist: one minified bundle for the script and one for
 * the styles, named by content hash, and an index.html that loads them from the console's own
 * origin (the Content-Security-Policy allows no inline script and no other origin).
 */
const web = fileURLToPath(new URL(import.meta.url.includes("/dist/console/") ? "../../console/web/" : "./web/", import.meta.url));
const out = `${web}dist/`;

rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}assets`, { recursive: true });
const result = await build({
  entryPoints: { app: `${web}src/main.tsx`, style: `${web}src/style.css` },
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "esm",
  target: ["chrome120", "firefox120"],
  platform: "browser",
  jsx: "automatic",
  jsxImportSource: "preact",
  write: false,
  outdir: `${out}assets`,
  logLevel: "warning",
  legalComments: "none",
});
const names: Record<string, string> = {};
for (const file of result.outputFiles) {
  const extension = file.path.endsWith(".css") ? "css" : "js";
  const name = `${extension === "css" ? "style" : "app"}-${createHash("sha256").update(file.contents).digest("hex").slice(0, 12)}.${extension}`;
  writeFileSync(`${out}assets/${name}`, file.contents);
  names[extension] = name;
}
const page = readFileSync(`${web}index.html`, "utf8").replace("%SCRIPT%", `/assets/${names.js}`).replace("%STYLE%", `/assets/${names.css}`);
writeFileSync(`${out}index.html`, page);
console.log(`console web app: ${Object.values(names).join(", ")} in ${out}`);
