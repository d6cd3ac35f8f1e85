/**
 * Cluster names for host processes of one local cluster. Pods resolve names from their own
 * /etc/hosts, but a host process (the tests' in-process operator, the chaos runner) resolves
 * through the host's /etc/hosts, where every running slot keeps a block under the same names
 * (s3.steward-system.svc, ...): getaddrinfo answers from the first block, which may be another
 * slot's, and the process talks to another cluster's S3 server. installSlotLookup makes
 * dns.lookup answer a name from its own slot's block first and leaves every other name alone.
 */
import dns, { type LookupAddress, type LookupOptions } from "node:dns";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repositoryRoot } from "./repository.js";
import { slotLayout } from "./runtime/slot.js";

/** The slot whose names a process (and the host processes it starts) resolves: set by installSlotLookup. */
export const SLOT_ENV = "STEWARD_LOCAL_SLOT";

/**
 * Node arguments that make a child Node process (an operator started by a test or the chaos
 * suite) resolve the same slot's names: `--import` of the compiled preload, when a slot is set.
 */
export function slotPreloadArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const preload = join(repositoryRoot(), "dist", "local", "slot-names-preload.js");
  return env[SLOT_ENV] && existsSync(preload) ? ["--import", pathToFileURL(preload).href] : [];
}

/** The slot's names and addresses, from the marked block of a hosts file's text. */
export function slotBlockNames(hostsText: string, begin: string, end: string): Map<string, string> {
  const names = new Map<string, string>();
  let inside = false;
  for (const raw of hostsText.split("\n")) {
    const line = raw.trim();
    if (line === begin) inside = true;
    else if (line === end) inside = false;
    else if (inside && line && !line.startsWith("#")) {
      const [address, ...hostnames] = line.split(/\s+/);
      for (const name of hostnames) if (address && !names.has(name)) names.set(name.toLowerCase(), address);
    }
  }
  return names;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

let installed: number | undefined;

/** Idempotent per process; a second slot in one process is a mistake and throws. */
export function installSlotLookup(slotIndex: number, hostsFile = "/etc/hosts"): void {
  if (installed === slotIndex) return;
  if (installed !== undefined) throw new Error(`slot lookup already installed for slot ${installed}`);
  installed = slotIndex;
  process.env[SLOT_ENV] = String(slotIndex);
  const { hostsBegin, hostsEnd } = slotLayout(slotIndex);
  let cached = { mtimeMs: -1, names: new Map<string, string>() };
  const names = () => {
    try {
      const mtimeMs = statSync(hostsFile).mtimeMs;
      if (mtimeMs !== cached.mtimeMs) cached = { mtimeMs, names: slotBlockNames(readFileSync(hostsFile, "utf8"), hostsBegin, hostsEnd) };
    } catch {
      // No hosts file: nothing of the slot's to answer from.
    }
    return cached.names;
  };
  const original = dns.lookup.bind(dns) as (hostname: string, options: LookupOptions, callback: LookupCallback) => void;
  const lookup = (hostname: string, optionsOrCallback: LookupOptions | number | LookupCallback, maybeCallback?: LookupCallback) => {
    const callback = (typeof optionsOrCallback === "function" ? optionsOrCallback : maybeCallback) as LookupCallback;
    const options: LookupOptions = typeof optionsOrCallback === "number" ? { family: optionsOrCallback } : typeof optionsOrCallback === "object" && optionsOrCallback ? optionsOrCallback : {};
    const address = names().get(hostname.replace(/\.$/, "").toLowerCase());
    // The slot's addresses are IPv4; a caller asking for IPv6 only gets the system's answer.
    if (address === undefined || options.family === 6) return original(hostname, options, callback);
    process.nextTick(() => (options.all ? callback(null, [{ address, family: 4 }]) : callback(null, address, 4)));
  };
  (dns as { lookup: unknown }).lookup = lookup;
}
