/**
 * A renewed certificate reaches the pods as new files in the mounted `<cluster>-tls` Secret
 * (the kubelet refreshes Secret volumes within a minute or so). redis-server keeps presenting
 * the one it loaded until told: observation read which certificate each instance presented
 * to the operator's session, and where that is not the current one this sets the same file
 * paths again (`CONFIG SET tls-cert-file ... tls-key-file ... tls-ca-cert-file ...`), which
 * makes Redis read them anew. No restart, no failover: open connections, the replication
 * links among them, keep their TLS sessions; new connections get the new certificate.
 */
import { describeError } from "../common/errors.js";
import type { RedisHealContext } from "./heal-context.js";
import { REDIS_TLS_FILES } from "./names.js";

/** Same certificate when the expiry matches to the second (X.509 times have no milliseconds). */
function sameExpiry(served: Date | undefined, wanted: Date): boolean {
  return served !== undefined && Math.abs(served.getTime() - wanted.getTime()) < 1_000;
}

export async function reloadRenewedCertificates(heal: RedisHealContext): Promise<void> {
  const wanted = heal.context.tls?.notAfter;
  if (!wanted) return;
  for (const view of heal.views()) {
    const reading = heal.reading(view.name);
    // Plaintext (not restarted since TLS was switched on), silent, or presenting it already: nothing to do.
    if (!reading?.facts || !reading.tls || view.terminating || sameExpiry(reading.presentedNotAfter, wanted)) continue;
    try {
      await heal.withSession(view.name, (session) => session.reloadTls(REDIS_TLS_FILES));
      // A new session sees what new clients get.
      const presented = await heal.withSession(view.name, async (session) => session.presentedNotAfter());
      if (sameExpiry(presented, wanted)) await heal.normal("CertificateReloaded", `${view.name} now presents the server certificate valid until ${wanted.toISOString()} (reloaded without a restart)`);
      // Otherwise the files in the pod are not the new ones yet: the next pass (every 2 s) tries again.
    } catch (error) {
      heal.log.warn({ instance: view.name }, `could not reload the certificate of ${view.name}: ${describeError(error)}`);
    }
  }
}
