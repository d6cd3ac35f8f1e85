/**
 * A renewed certificate reaches the pods as new files in the mounted `<cluster>-tls` Secret
 * (the kubelet refreshes Secret volumes within a minute or so). The server keeps presenting the
 * one it loaded until told: this asks each instance which certificate it presents and reloads
 * the files where that is not the current one. No restart, no failover: open sessions and the
 * replication threads keep their TLS sessions; new connections get the new certificate.
 */
import type { HealContext } from "./heal-context.js";

/** Same certificate when the expiry matches to the second (the server prints it without milliseconds). */
function sameExpiry(served: Date, wanted: Date): boolean {
  return Math.abs(served.getTime() - wanted.getTime()) < 1_000;
}

export async function reloadRenewedCertificates(heal: HealContext): Promise<void> {
  const wanted = heal.context.tls?.notAfter;
  if (!wanted) return;
  const presented = heal.engine.tlsPresented;
  for (const detail of heal.observation.details) {
    if (!detail.view.reachable || detail.pod.terminating || !detail.pod.uid) continue;
    // Known to present it already: no session at all (most passes).
    if (presented.get(detail.pod.uid) === wanted.toISOString()) continue;
    try {
      const outcome = await heal.withSession(detail.name, async (session) => {
        const servedNow = async () => new Date(String((await session.query(session.sql.tlsNotAfter))[0]?.Value ?? ""));
        if (sameExpiry(await servedNow(), wanted)) return "current";
        await session.query(session.sql.reloadTls);
        return sameExpiry(await servedNow(), wanted) ? "reloaded" : "waiting";
      });
      if (outcome !== "waiting") presented.set(detail.pod.uid, wanted.toISOString());
      if (outcome === "reloaded") await heal.normal("CertificateReloaded", `${detail.name} now presents the server certificate valid until ${wanted.toISOString()} (reloaded without a restart)`);
      // The files in the pod are not the new ones yet: look again soon.
      if (outcome === "waiting") heal.busy = true;
    } catch {
      // Unreachable just now: observation reports that; the next pass asks again.
    }
  }
}
