import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { useAccess } from "./access.js";
import type { AccessCheck } from "./api.js";

/**
 * A button the API server may not let this user use: disabled, with the reason in words next
 * to it (and as its accessible description), never hidden.
 */
export function GatedButton(props: { check: AccessCheck; onClick: () => void; children: ComponentChildren; blocked?: string; kind?: "primary" | "danger" | "plain"; id?: string }) {
  const access = useAccess(props.check);
  const reason = !access.allowed ? access.reason : props.blocked;
  const reasonId = props.id ? `${props.id}-why` : undefined;
  return (
    <span class="gated">
      <button id={props.id} type="button" class={props.kind ?? "plain"} disabled={Boolean(reason)} aria-describedby={reason ? reasonId : undefined} onClick={props.onClick}>
        {props.children}
      </button>
      {reason && (
        <span class="why" id={reasonId} role="note">
          {reason}
        </span>
      )}
    </span>
  );
}

export function Badge(props: { tone: string; children: ComponentChildren }) {
  return <span class={`badge ${props.tone}`}>{props.children}</span>;
}

export function phaseTone(phase: string | undefined): string {
  if (phase === "Completed" || phase === "Ready") return "ok";
  if (phase === "Failed") return "bad";
  if (phase === "Degraded") return "warn";
  return "busy";
}

/** A modal dialog on the native <dialog>: the browser traps focus, Escape closes it, focus returns. */
export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; id: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    const onCancel = (event: Event) => {
      event.preventDefault();
      props.onClose();
    };
    dialog?.addEventListener("cancel", onCancel);
    return () => dialog?.removeEventListener("cancel", onCancel);
  }, []);
  return (
    <dialog ref={ref} id={props.id} aria-labelledby={`${props.id}-title`}>
      <div class="dialog-head">
        <h2 id={`${props.id}-title`}>{props.title}</h2>
        <button type="button" class="plain" aria-label="Close" onClick={props.onClose}>
          ✕
        </button>
      </div>
      {props.children}
    </dialog>
  );
}

export function ErrorText(props: { error?: string }) {
  return props.error ? (
    <p class="error" role="alert">
      {props.error}
    </p>
  ) : null;
}

/** The spans of a point-in-time window that cannot be recovered to, each with its times in both zones and why. */
export function GapWarning(props: { id: string; gaps: { from: string; to: string; reason: string }[]; zones: (iso: string) => string }) {
  if (props.gaps.length === 0) return null;
  return (
    <div class="gap-warning" id={props.id} role="note">
      <strong>{props.gaps.length === 1 ? "The recoverable window has a gap" : `The recoverable window has ${props.gaps.length} gaps`}</strong>: no point in time inside {props.gaps.length === 1 ? "it" : "them"} can be restored.
      <ul>
        {props.gaps.map((gap) => (
          <li key={gap.from}>
            {props.zones(gap.from)} to {props.zones(gap.to)}: {gap.reason}
          </li>
        ))}
      </ul>
    </div>
  );
}
