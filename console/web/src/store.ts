/**
 * What the pages show live: every DatabaseCluster, DatabaseBackup and DatabaseRestore the user
 * may see, fed by the server's event stream (Kubernetes watches) and, when that stream fails,
 * by polling /api/snapshot every few seconds. Pages subscribe and re-render on change.
 */
import { useEffect, useState } from "preact/hooks";
import type { DatabaseBackup, DatabaseCluster, DatabaseRestore } from "../../../shared/api/index.js";
import { call, databaseBackup, databaseCluster, databaseRestore, snapshotSchema } from "./api.js";
import { keyOf } from "./model.js";

type Kind = "clusters" | "backups" | "restores";
const PARSERS = { clusters: databaseCluster, backups: databaseBackup, restores: databaseRestore } as const;

interface State {
  clusters: Map<string, DatabaseCluster>;
  backups: Map<string, DatabaseBackup>;
  restores: Map<string, DatabaseRestore>;
  loaded: Set<Kind>;
  denied: Partial<Record<Kind, string>>;
  mode: "connecting" | "live" | "polling";
  /** The namespaces shown when the user's RBAC is namespaced (a Role); empty: all namespaces. */
  namespaces: string[];
}

const state: State = { clusters: new Map(), backups: new Map(), restores: new Map(), loaded: new Set(), denied: {}, mode: "connecting", namespaces: [] };
let version = 0;
const listeners = new Set<() => void>();
let scheduled = false;

function changed(): void {
  version++;
  // Many watch events arrive together (a list of 1,000 clusters): render once per frame.
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    for (const listener of listeners) listener();
  });
}

function parse(kind: Kind, raw: unknown): DatabaseCluster | DatabaseBackup | DatabaseRestore | undefined {
  const parsed = PARSERS[kind].safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

function reset(kind: Kind, items: unknown[], namespace?: string): void {
  const map = state[kind] as Map<string, unknown>;
  // A namespace's list replaces that namespace's objects only (one watch per namespace).
  if (namespace === undefined) map.clear();
  else for (const key of [...map.keys()]) if (key.startsWith(`${namespace}/`)) map.delete(key);
  for (const raw of items) {
    const object = parse(kind, raw);
    if (object) map.set(keyOf(object), object);
  }
  state.loaded.add(kind);
  delete state.denied[kind];
  changed();
}

function apply(kind: Kind, type: string, raw: unknown): void {
  const object = parse(kind, raw);
  if (!object) return;
  const map = state[kind] as Map<string, unknown>;
  if (type === "DELETED") map.delete(keyOf(object));
  else map.set(keyOf(object), object);
  changed();
}

let pollTimer: ReturnType<typeof setInterval> | undefined;
let serviceAccountNamespace: string | undefined;
let source: EventSource | undefined;

async function poll(): Promise<void> {
  try {
    const snapshot = await call("GET", `/api/snapshot${scopeQuery()}`, snapshotSchema);
    for (const kind of ["clusters", "backups", "restores"] as const) {
      if (snapshot.denied[kind]) {
        state.denied[kind] = snapshot.denied[kind];
        state.loaded.add(kind);
      } else reset(kind, snapshot[kind]);
    }
    changed();
  } catch {
    // The next poll tries again; the banner shows the mode.
  }
}

function startPolling(): void {
  if (pollTimer) return;
  state.mode = "polling";
  changed();
  void poll();
  pollTimer = setInterval(() => void poll(), 3000);
}

function scopeQuery(): string {
  return state.namespaces.length > 0 ? `?namespaces=${encodeURIComponent(state.namespaces.join(","))}` : "";
}

/**
 * Shows these namespaces only (or all, with none): for users who may not list across
 * namespaces. A ServiceAccount's own namespace is the first guess. Kept for the tab's session.
 */
export function showNamespaces(namespaces: string[]): void {
  stopLive();
  state.namespaces = namespaces;
  sessionStorage.setItem(SCOPE_KEY, namespaces.join(","));
  for (const kind of ["clusters", "backups", "restores"] as const) state[kind].clear();
  state.loaded.clear();
  state.denied = {};
  state.mode = "connecting";
  changed();
  startLive();
}

const SCOPE_KEY = "steward.namespaces";

/** Opens the stream; after repeated failures falls back to polling. `user` names a ServiceAccount's namespace to fall back to. */
export function startLive(user?: string): void {
  if (source || pollTimer) return;
  if (state.namespaces.length === 0) state.namespaces = (sessionStorage.getItem(SCOPE_KEY) ?? "").split(",").filter(Boolean);
  serviceAccountNamespace = /^system:serviceaccount:([^:]+):/.exec(user ?? "")?.[1] ?? serviceAccountNamespace;
  if (typeof EventSource === "undefined") return startPolling();
  let failures = 0;
  source = new EventSource(`/api/live${scopeQuery()}`);
  source.addEventListener("open", () => {
    failures = 0;
    state.mode = "live";
    changed();
  });
  source.addEventListener("reset", (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as { kind: Kind; namespace?: string; items: unknown[] };
    reset(data.kind, data.items, data.namespace);
  });
  source.addEventListener("change", (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as { kind: Kind; type: string; object: unknown };
    apply(data.kind, data.type, data.object);
  });
  source.addEventListener("denied", (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as { kind: Kind; message: string };
    // Not allowed across namespaces: a ServiceAccount very likely may look into its own.
    if (data.kind === "clusters" && state.namespaces.length === 0 && serviceAccountNamespace) return showNamespaces([serviceAccountNamespace]);
    state.denied[data.kind] = data.message;
    state.loaded.add(data.kind);
    changed();
  });
  source.addEventListener("error", () => {
    failures++;
    if (failures >= 3) {
      source?.close();
      source = undefined;
      startPolling();
    }
  });
}

export function stopLive(): void {
  source?.close();
  source = undefined;
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = undefined;
}

/** Re-renders the calling component whenever the live data changes. */
export function useLive(): State {
  const [, setSeen] = useState(version);
  useEffect(() => {
    const listener = () => setSeen(version);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return state;
}
