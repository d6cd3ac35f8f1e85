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
}

const state: State = { clusters: new Map(), backups: new Map(), restores: new Map(), loaded: new Set(), denied: {}, mode: "connecting" };
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

function reset(kind: Kind, items: unknown[]): void {
  const map = state[kind] as Map<string, unknown>;
  map.clear();
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
let source: EventSource | undefined;

async function poll(): Promise<void> {
  try {
    const snapshot = await call("GET", "/api/snapshot", snapshotSchema);
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

/** Opens the stream; after repeated failures falls back to polling. */
export function startLive(): void {
  if (source || pollTimer) return;
  if (typeof EventSource === "undefined") return startPolling();
  let failures = 0;
  source = new EventSource("/api/live");
  source.addEventListener("open", () => {
    failures = 0;
    state.mode = "live";
    changed();
  });
  source.addEventListener("reset", (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as { kind: Kind; items: unknown[] };
    reset(data.kind, data.items);
  });
  source.addEventListener("change", (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as { kind: Kind; type: string; object: unknown };
    apply(data.kind, data.type, data.object);
  });
  source.addEventListener("denied", (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as { kind: Kind; message: string };
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
