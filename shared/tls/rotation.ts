/**
 * When a server certificate must be (re)issued: a pure decision on what the cluster's TLS
 * Secret holds today, so the reconcile only carries it out.
 */
import type { CertificateFacts } from "./certificates.js";

/** Renew at two thirds of the lifetime (90 days: after 60), as cert-manager does by default. */
export function renewalTime(facts: Pick<CertificateFacts, "notBefore" | "notAfter">): Date {
  const lifetime = facts.notAfter.getTime() - facts.notBefore.getTime();
  return new Date(facts.notBefore.getTime() + Math.floor((lifetime * 2) / 3));
}

/** How long before expiry a failing renewal is reported (Event and condition). */
export const EXPIRY_WARNING_MS = 14 * 86_400_000;

export interface RenewalInput {
  /** Facts of the certificate in the Secret, undefined when there is none or it does not parse. */
  current?: Pick<CertificateFacts, "notBefore" | "notAfter" | "dnsNames">;
  /** Whether the current certificate was signed by the CA in use and matches its key. */
  signedByCa: boolean;
  /** Names every client uses; the certificate must carry all of them. */
  wantedNames: readonly string[];
  /** The steward.dev/rotate-tls annotation on the cluster, and the value the Secret was last issued for. */
  rotateRequest?: string;
  rotatedFor?: string;
  now: Date;
}

export type RenewalReason = "Missing" | "OtherIssuer" | "NamesChanged" | "Due" | "Requested";

/** Why the certificate must be issued now, or undefined when it is good. */
export function renewalReason(input: RenewalInput): RenewalReason | undefined {
  if (!input.current) return "Missing";
  if (!input.signedByCa) return "OtherIssuer";
  const have = new Set(input.current.dnsNames);
  if (input.wantedNames.some((name) => !have.has(name))) return "NamesChanged";
  if (input.now >= renewalTime(input.current)) return "Due";
  if (input.rotateRequest !== undefined && input.rotateRequest !== input.rotatedFor) return "Requested";
  return undefined;
}

/** Whether the certificate expires within the warning window (what a failing rotation leads to). */
export function expiresSoon(notAfter: Date, now: Date): boolean {
  return notAfter.getTime() - now.getTime() <= EXPIRY_WARNING_MS;
}
