import { useEffect, useState } from "preact/hooks";
import { stringify } from "yaml";
import type { DatabaseCluster } from "../../../../shared/api/index.js";
import { STEWARD } from "../access.js";
import { call, connectionDetails, timelineEvent, type ConnectionDetails, type TimelineEvent } from "../api.js";
import { Badge, ErrorText, GapWarning, GatedButton, phaseTone } from "../components.js";
import { age, bothZones, bytes, backupsOf, clientCommand, engineText, failureReason, phaseInWords, pointInTimeWindow, restoresOf, tlsInWords } from "../model.js";
import { useLive } from "../store.js";
import { useNow } from "./databases.js";
import { Operations } from "./operations.js";
import { RestoreDialog } from "./restore-dialog.js";
import { z } from "zod";

export function DetailPage(props: { namespace: string; name: string }) {
  const live = useLive();
  const now = useNow(5000);
  const cluster = live.clusters.get(`${props.namespace}/${props.name}`);
  const [restoring, setRestoring] = useState(false);
  if (!cluster) {
    return (
      <section>
        <p><a href="#/">← Databases</a></p>
        <h1>{props.name}</h1>
        <p>{live.loaded.has("clusters") ? `No DatabaseCluster ${props.name} in namespace ${props.namespace} (or you may not see it).` : "loading…"}</p>
      </section>
    );
  }
  const state = phaseInWords(cluster);
  return (
    <section aria-labelledby="detail-title" class="detail">
      <p class="crumbs"><a href="#/">← Databases</a></p>
      <div class="title-row">
        <h1 id="detail-title">{cluster.metadata.name}</h1>
        <Badge tone={state.tone}>{state.phase}</Badge>
        <span class="sub">{cluster.metadata.namespace} · {engineText(cluster)}</span>
      </div>
      <p class="reason" id="phase-reason">{state.reason}</p>
      <div class="grid">
        <ConnectCard cluster={cluster} />
        <div class="card">
          <h2>Instances</h2>
          <table class="stack">
            <thead><tr><th scope="col">Pod</th><th scope="col">Role</th><th scope="col">Ready</th><th scope="col">Lag</th></tr></thead>
            <tbody>
              {(cluster.status?.instances ?? []).map((instance) => (
                <tr key={instance.name}>
                  <td data-label="Pod">{instance.name}</td>
                  <td data-label="Role">{instance.role}</td>
                  <td data-label="Ready">{instance.ready ? "yes" : `no${instance.message ? `: ${instance.message}` : ""}`}</td>
                  <td data-label="Lag">{instance.lagSeconds !== undefined ? `${instance.lagSeconds} s` : "-"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="sub">{cluster.status?.readyReplicas ?? 0} of {cluster.spec.replicas} ready; primary {cluster.status?.currentPrimary ?? "none"}</p>
        </div>
      </div>
      <Backups cluster={cluster} now={now} onRestore={() => setRestoring(true)} />
      {restoring && <RestoreDialog cluster={cluster} onClose={() => setRestoring(false)} />}
      <Restores cluster={cluster} now={now} />
      <Operations cluster={cluster} />
      <Conditions cluster={cluster} now={now} />
      <Timeline cluster={cluster} />
      <details class="card">
        <summary>YAML</summary>
        <pre class="yaml">{stringify(cluster)}</pre>
      </details>
    </section>
  );
}

function ConnectCard(props: { cluster: DatabaseCluster }) {
  const { namespace, name } = props.cluster.metadata;
  const [details, setDetails] = useState<ConnectionDetails>();
  const [password, setPassword] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    call("GET", `/api/clusters/${namespace}/${name}/connection`, connectionDetails).then(setDetails, (failure: unknown) => setError(String(failure)));
  }, [namespace, name, props.cluster.status?.connectionSecret, props.cluster.status?.phase]);
  const reveal = () => call("POST", `/api/clusters/${namespace}/${name}/password`, z.object({ password: z.string() })).then((answer) => setPassword(answer.password), (failure: unknown) => setError(String(failure)));
  const command = clientCommand(details?.uri, details ?? {});
  const tls = tlsInWords(props.cluster, Date.now());
  return (
    <div class="card" id="connect">
      <h2>Connect</h2>
      <ErrorText error={error} />
      {details && (
        <dl class="pairs">
          <dt>Host</dt><dd><code>{details.host || "-"}</code></dd>
          <dt>Port</dt><dd><code>{details.port ?? "-"}</code></dd>
          <dt>User</dt><dd><code>{details.username ?? "-"}</code></dd>
          {details.database && (<><dt>Database</dt><dd><code>{details.database}</code></dd></>)}
          {details.readOnlyHost && (<><dt>Read-only host</dt><dd><code>{details.readOnlyHost}</code></dd></>)}
          {details.uri && (<><dt>URI</dt><dd><code>{details.uri}</code></dd></>)}
          {command && (<><dt>Client</dt><dd><code>{command}</code></dd></>)}
          <dt>TLS</dt><dd id="tls-state" class={tls.tone === "warn" ? "warn-text" : undefined}>{tls.text}</dd>
          <dt>Password</dt>
          <dd>
            {password ? (
              <code id="password-value">{password}</code>
            ) : (
              <GatedButton id="reveal-password" check={{ verb: "get", group: "", resource: "secrets", namespace, name: details.secret }} blocked={details.secretReadable ? undefined : details.reason} onClick={() => void reveal()}>
                Reveal password
              </GatedButton>
            )}
          </dd>
        </dl>
      )}
      <p class="sub">Secret <code>{details?.secret ?? `${name}-conn`}</code> holds these keys for applications.</p>
    </div>
  );
}

function Backups(props: { cluster: DatabaseCluster; now: number; onRestore: () => void }) {
  const live = useLive();
  const { namespace, name } = props.cluster.metadata;
  const [error, setError] = useState<string>();
  const backups = backupsOf(props.cluster, [...live.backups.values()]);
  const policy = props.cluster.spec.backup;
  const backUp = () => {
    setError(undefined);
    call("POST", "/api/backups", z.unknown(), { namespace, cluster: name }).catch((failure: unknown) => setError(String(failure)));
  };
  const window = pointInTimeWindow(props.cluster);
  return (
    <div class="card" id="backups">
      <div class="card-head">
        <h2>Backups</h2>
        <div class="actions">
          <GatedButton id="backup-now" kind="primary" check={{ verb: "create", group: STEWARD, resource: "databasebackups", namespace }} blocked={policy ? undefined : "this cluster has no backup storage (spec.backup.storage)"} onClick={backUp}>
            Back up now
          </GatedButton>
          <GatedButton id="restore-open" check={{ verb: "create", group: STEWARD, resource: "databaserestores", namespace }} onClick={props.onRestore}>
            Restore…
          </GatedButton>
        </div>
      </div>
      <ErrorText error={error} />
      <p class="sub">
        {policy ? `Storage ${policy.storage}; schedule ${policy.schedule ?? "none (on demand only)"}${policy.timeZone ? ` ${policy.timeZone}` : " UTC"}; retention ${policy.retention?.keepLast ? `last ${policy.retention.keepLast}` : ""}${policy.retention?.maxAge ? ` up to ${policy.retention.maxAge}` : ""}${policy.retention ? "" : "none"}; next ${props.cluster.status?.nextBackup ?? "none scheduled"}.` : "No backup policy."}
        {window && ` Point in time: ${bothZones(window.earliest)} to ${bothZones(window.latest)}.`}
      </p>
      {window && <GapWarning id="window-gaps" gaps={window.gaps} zones={bothZones} />}
      <div class="table-wrap">
        <table class="stack">
          <thead><tr><th scope="col">Backup</th><th scope="col">Phase</th><th scope="col">Finished</th><th scope="col">Size</th><th scope="col">Verified</th></tr></thead>
          <tbody>
            {backups.map((backup) => (
              <tr key={backup.metadata.name} data-backup={backup.metadata.name}>
                <td data-label="Backup">{backup.metadata.name}</td>
                <td data-label="Phase">
                  <Badge tone={phaseTone(backup.status?.phase)}>{backup.status?.phase ?? "Pending"}</Badge>
                  {backup.status?.phase === "Running" && backup.status.progress && <span class="sub"> {bytes(backup.status.progress.bytes)} so far</span>}
                  {backup.status?.phase === "Failed" && <span class="sub reason"> {failureReason(backup)}</span>}
                </td>
                <td data-label="Finished">{backup.status?.completedAt ? age(backup.status.completedAt, props.now) : "-"}</td>
                <td data-label="Size">{bytes(backup.status?.size)}</td>
                <td data-label="Verified">{backup.status?.verification ? backup.status.verification.result : "-"}</td>
              </tr>
            ))}
            {backups.length === 0 && <tr><td colSpan={5}>No backups yet.</td></tr>}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function Restores(props: { cluster: DatabaseCluster; now: number }) {
  const live = useLive();
  const restores = restoresOf(props.cluster, [...live.restores.values()], [...live.backups.values()]);
  return (
    <div class="card" id="restores">
      <h2>Restores</h2>
      <div class="table-wrap">
        <table class="stack">
          <thead><tr><th scope="col">Restore</th><th scope="col">From</th><th scope="col">Into</th><th scope="col">Phase</th><th scope="col">Started</th></tr></thead>
          <tbody>
            {restores.map((restore) => (
              <tr key={restore.metadata.name} data-restore={restore.metadata.name}>
                <td data-label="Restore">{restore.metadata.name}</td>
                <td data-label="From">{restore.spec.source.backup ?? `${restore.spec.source.cluster} at ${restore.spec.source.pointInTime}`}</td>
                <td data-label="Into">{restore.spec.target.inPlace ? "in place" : (restore.spec.target.newCluster ?? restore.metadata.name)}</td>
                <td data-label="Phase">
                  <Badge tone={phaseTone(restore.status?.phase)}>{restore.status?.phase ?? "Pending"}</Badge>
                  {restore.status?.progress && restore.status.phase === "Running" && <span class="sub"> {bytes(restore.status.progress.bytes)}{restore.status.progress.totalBytes ? ` of ${bytes(restore.status.progress.totalBytes)}` : ""}</span>}
                  {restore.status?.phase === "Failed" && <span class="sub reason"> {failureReason(restore)}</span>}
                </td>
                <td data-label="Started">{age(restore.status?.startedAt ?? String(restore.metadata.creationTimestamp ?? ""), props.now)}</td>
              </tr>
            ))}
            {restores.length === 0 && <tr><td colSpan={5}>No restores.</td></tr>}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function Conditions(props: { cluster: DatabaseCluster; now: number }) {
  return (
    <div class="card" id="conditions">
      <h2>Conditions</h2>
      <div class="table-wrap">
        <table class="stack">
          <thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Since</th></tr></thead>
          <tbody>
            {(props.cluster.status?.conditions ?? []).map((condition) => (
              <tr key={condition.type}>
                <td data-label="Type">{condition.type}</td>
                <td data-label="Status">{condition.status}</td>
                <td data-label="Reason">{condition.reason}</td>
                <td data-label="Message">{condition.message}</td>
                <td data-label="Since">{age(condition.lastTransitionTime, props.now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function Timeline(props: { cluster: DatabaseCluster }) {
  const { namespace, name } = props.cluster.metadata;
  const [events, setEvents] = useState<TimelineEvent[]>([]);
  const [error, setError] = useState<string>();
  const stamp = props.cluster.metadata.resourceVersion;
  useEffect(() => {
    call("GET", `/api/clusters/${namespace}/${name}/events`, z.array(timelineEvent)).then(setEvents, (failure: unknown) => setError(String(failure)));
  }, [namespace, name, stamp]);
  return (
    <div class="card" id="events">
      <h2>Events</h2>
      <ErrorText error={error} />
      <ol class="timeline">
        {events.slice(0, 50).map((event, index) => (
          <li key={index} class={event.type === "Warning" ? "warning" : ""}>
            <time dateTime={event.at}>{event.at ? bothZones(event.at) : ""}</time> <strong>{event.reason}</strong> {event.message}
            {event.count > 1 && <span class="sub"> ×{event.count}</span>}
          </li>
        ))}
        {events.length === 0 && !error && <li>No events.</li>}
      </ol>
    </div>
  );
}
