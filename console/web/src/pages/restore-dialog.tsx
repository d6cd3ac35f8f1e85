import { useState } from "preact/hooks";
import { z } from "zod";
import type { DatabaseCluster } from "../../../../shared/api/index.js";
import { call } from "../api.js";
import { Dialog, ErrorText, GapWarning } from "../components.js";
import { backupsOf, bothZones, bytes, checkPointInTime, pointInTimeWindow } from "../model.js";
import { useLive } from "../store.js";

function suffix(): string {
  return Math.random().toString(36).slice(2, 7);
}

/**
 * Restore a backup or a point in time, into a new cluster (the default) or in place; in place
 * stays refused until the user types the cluster's name.
 */
export function RestoreDialog(props: { cluster: DatabaseCluster; onClose: () => void }) {
  const live = useLive();
  const { namespace, name } = props.cluster.metadata;
  const completed = backupsOf(props.cluster, [...live.backups.values()]).filter((backup) => backup.status?.phase === "Completed");
  const window = pointInTimeWindow(props.cluster);
  const [from, setFrom] = useState<"backup" | "time">("backup");
  const [backup, setBackup] = useState(completed[0]?.metadata.name ?? "");
  const [time, setTime] = useState(window?.latest ?? "");
  const [target, setTarget] = useState<"new" | "inPlace">("new");
  const [newName, setNewName] = useState(`${name}-restore-${suffix()}`.slice(0, 40));
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const timeProblem = from === "time" ? checkPointInTime(time, window) : undefined;
  const sourceProblem = from === "backup" && !backup ? "no Completed backup to restore" : timeProblem;
  const targetProblem = target === "inPlace" && typed !== name ? `type ${name} to confirm that its current data is replaced` : target === "new" && !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(newName) ? "the new cluster's name must be a DNS label" : undefined;
  const problem = sourceProblem ?? targetProblem;
  const submit = (event: Event) => {
    event.preventDefault();
    if (problem) return;
    setError(undefined);
    const restoreName = target === "new" ? newName : `${name}-inplace-${suffix()}`;
    const spec = {
      source: from === "backup" ? { backup } : { cluster: name, pointInTime: new Date(time).toISOString().replace(/\.000Z$/, "Z") },
      target: target === "new" ? { newCluster: newName } : { inPlace: true },
    };
    call("POST", "/api/restores", z.unknown(), { namespace, name: restoreName, spec, confirmName: target === "inPlace" ? typed : undefined }).then(
      () => setDone(`Restore ${restoreName} created; follow it under Restores.`),
      (failure: unknown) => setError(String(failure)),
    );
  };
  return (
    <Dialog id="restore-dialog" title={`Restore ${name}`} onClose={props.onClose}>
      <form onSubmit={submit}>
        <fieldset>
          <legend>From</legend>
          <label class="choice"><input type="radio" name="from" value="backup" checked={from === "backup"} onChange={() => setFrom("backup")} /> A backup</label>
          <label class="choice"><input type="radio" name="from" value="time" checked={from === "time"} disabled={!window} onChange={() => setFrom("time")} /> A point in time{window ? "" : " (no recoverable window)"}</label>
        </fieldset>
        {from === "backup" ? (
          <label>
            Backup
            <select id="restore-backup" value={backup} onChange={(event) => setBackup(event.currentTarget.value)}>
              {completed.map((item) => (
                <option key={item.metadata.name} value={item.metadata.name}>
                  {item.metadata.name} · {item.status?.completedAt ? bothZones(item.status.completedAt) : ""} · {bytes(item.status?.size)}{item.status?.verification ? ` · ${item.status.verification.result}` : ""}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <div>
            <p class="sub" id="restore-window">Recoverable window: {window ? `${bothZones(window.earliest)} to ${bothZones(window.latest)}` : "none"}</p>
            {window && <GapWarning id="restore-gaps" gaps={window.gaps} zones={bothZones} />}
            <label>
              Time (RFC 3339, e.g. 2026-12-06T10:00:00Z)
              <input id="restore-time" type="text" value={time} aria-invalid={Boolean(timeProblem)} onInput={(event) => setTime(event.currentTarget.value)} />
            </label>
            {!timeProblem && time && <p class="sub">= {bothZones(new Date(time).toISOString())}</p>}
          </div>
        )}
        <fieldset>
          <legend>Into</legend>
          <label class="choice"><input type="radio" name="target" value="new" checked={target === "new"} onChange={() => setTarget("new")} /> A new cluster (recommended)</label>
          <label class="choice"><input type="radio" name="target" value="inPlace" checked={target === "inPlace"} onChange={() => setTarget("inPlace")} /> In place: replace {name}'s data</label>
        </fieldset>
        {target === "new" ? (
          <label>
            New cluster name
            <input id="restore-new-name" type="text" value={newName} onInput={(event) => setNewName(event.currentTarget.value)} />
          </label>
        ) : (
          <label>
            Type <strong>{name}</strong> to confirm
            <input id="restore-confirm" type="text" value={typed} autocomplete="off" onInput={(event) => setTyped(event.currentTarget.value)} />
          </label>
        )}
        {problem && <p class="why" id="restore-why">{problem}</p>}
        <ErrorText error={error} />
        {done && <p role="status" class="ok-text">{done}</p>}
        <div class="actions">
          <button type="submit" id="restore-submit" class={target === "inPlace" ? "danger" : "primary"} disabled={Boolean(problem) || Boolean(done)} aria-describedby={problem ? "restore-why" : undefined}>
            {target === "inPlace" ? "Restore in place" : "Restore into new cluster"}
          </button>
          <button type="button" class="plain" onClick={props.onClose}>Close</button>
        </div>
      </form>
    </Dialog>
  );
}
