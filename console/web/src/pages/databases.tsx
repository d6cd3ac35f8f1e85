import { useEffect, useState } from "preact/hooks";
import { Badge } from "../components.js";
import { age, bothZones, engineText, keyOf, lastBackup, phaseInWords, pointInTimeWindow } from "../model.js";
import { showNamespaces, useLive } from "../store.js";

const PAGE_SIZE = 50;

export function useNow(everyMs = 10_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** Every cluster the user can see, across namespaces: filtered, searched and paged (1,000 clusters stay fast). */
export function DatabasesPage() {
  const live = useLive();
  const now = useNow();
  const [search, setSearch] = useState("");
  const [phase, setPhase] = useState("");
  const [page, setPage] = useState(0);
  const all = [...live.clusters.values()];
  const backups = [...live.backups.values()];
  const phases = [...new Set(all.map((cluster) => cluster.status?.phase ?? "Pending"))].sort();
  const words = search.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const shown = all
    .filter((cluster) => !phase || (cluster.status?.phase ?? "Pending") === phase)
    .filter((cluster) => words.every((word) => `${cluster.metadata.namespace}/${cluster.metadata.name} ${engineText(cluster)}`.toLowerCase().includes(word)))
    .sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  const rows = shown.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE);
  return (
    <section aria-labelledby="databases-title">
      <h1 id="databases-title">Databases</h1>
      {live.denied.clusters && <p class="error" role="alert">You may not list databases {live.namespaces.length > 0 ? `in ${live.namespaces.join(", ")}` : "across namespaces"}: {live.denied.clusters}</p>}
      {(live.denied.clusters || live.namespaces.length > 0) && <NamespaceScope shown={live.namespaces} />}
      <div class="filters">
        <label>
          Search
          <input type="search" value={search} placeholder="name, namespace or engine" onInput={(event) => (setSearch(event.currentTarget.value), setPage(0))} />
        </label>
        <label>
          Phase
          <select value={phase} onChange={(event) => (setPhase(event.currentTarget.value), setPage(0))}>
            <option value="">all</option>
            {phases.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <span class="count" aria-live="polite">
          {live.loaded.has("clusters") ? `${shown.length} of ${all.length} databases` : "loading…"}
        </span>
      </div>
      <div class="table-wrap">
        <table class="databases">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Phase</th>
              <th scope="col">Engine</th>
              <th scope="col">Ready</th>
              <th scope="col">Primary</th>
              <th scope="col">Last backup</th>
              <th scope="col">Point in time</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((cluster) => {
              const state = phaseInWords(cluster);
              const last = lastBackup(cluster, backups);
              const window = pointInTimeWindow(cluster);
              return (
                <tr key={keyOf(cluster)} data-cluster={keyOf(cluster)}>
                  <th scope="row">
                    <a href={`#/db/${cluster.metadata.namespace}/${cluster.metadata.name}`}>{cluster.metadata.name}</a>
                    <span class="sub">{cluster.metadata.namespace}</span>
                  </th>
                  <td>
                    <Badge tone={state.tone}>{state.phase}</Badge>
                    <span class="sub reason">{state.reason}</span>
                  </td>
                  <td>{engineText(cluster)}</td>
                  <td>
                    {cluster.status?.readyReplicas ?? 0}/{cluster.spec.replicas}
                  </td>
                  <td>{cluster.status?.currentPrimary ?? "-"}</td>
                  <td>{last ? <span title={last.name}>{age(last.completedAt, now)}</span> : cluster.spec.backup ? "none yet" : "no backups configured"}</td>
                  <td>{window ? <span title={`${bothZones(window.earliest)} to ${bothZones(window.latest)}`}>{age(window.earliest, now)} – {age(window.latest, now)}</span> : "-"}{window && window.gaps.length > 0 && <span class="sub warn-text"> {window.gaps.length === 1 ? "1 gap" : `${window.gaps.length} gaps`}</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {pages > 1 && (
        <nav class="pager" aria-label="Pages">
          <button type="button" class="plain" disabled={current === 0} onClick={() => setPage(current - 1)}>
            Previous
          </button>
          <span>
            Page {current + 1} of {pages}
          </span>
          <button type="button" class="plain" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}

/** For users whose RBAC is namespaced: which namespaces to list (a ServiceAccount's own is tried first). */
function NamespaceScope(props: { shown: string[] }) {
  const [text, setText] = useState(props.shown.join(", "));
  const submit = (event: Event) => {
    event.preventDefault();
    showNamespaces(text.split(/[\s,]+/).filter(Boolean));
  };
  return (
    <form class="filters" id="namespace-scope" onSubmit={submit}>
      <p class="sub">{props.shown.length > 0 ? `Showing namespace${props.shown.length === 1 ? "" : "s"} ${props.shown.join(", ")} only.` : "Name the namespaces you may read."}</p>
      <label>
        Namespaces
        <input id="scope-namespaces" type="text" value={text} placeholder="shop, billing" onInput={(event) => setText(event.currentTarget.value)} />
      </label>
      <button type="submit" class="plain">Show</button>
    </form>
  );
}
