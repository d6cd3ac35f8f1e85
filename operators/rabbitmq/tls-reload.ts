/**
 * A renewed certificate reaches the pods as new files in the mounted `<cluster>-tls` Secret
 * (the kubelet refreshes Secret volumes within a minute or so). A RabbitMQ node keeps presenting
 * the one it read until told: this asks each running node which certificate its HTTPS listener
 * presents and, where that is not the current one, has the pod's agent copy the files and clear
 * the node's PEM cache (config.ts, buildTlsReloadScript). No restart, no quorum change: open
 * connections keep their TLS sessions; new connections get the new certificate.
 */
import { connect } from "node:tls";
import type { KubeObject } from "../../shared/k8s/client.js";
import type { EngineContext } from "../engine.js";
import type { AgentClient } from "./agent/client.js";
import { PORTS, type RabbitmqNames } from "./names.js";
import type { PodView } from "./health.js";
import type { PodAddress, RabbitmqObservation } from "./observe.js";

const PROBE_TIMEOUT_MS = 3_000;

/**
 * The expiry of the certificate a listener presents. Only the certificate is read (no
 * credentials are sent), so it is read without verification: a node still presenting a
 * certificate from a former CA must be seen too.
 */
export function presentedNotAfter(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<Date> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername: host, rejectUnauthorized: false, timeout: timeoutMs }, () => {
      const certificate = socket.getPeerCertificate();
      socket.destroy();
      if (!certificate?.valid_to) reject(new Error(`${host}:${port} presented no certificate`));
      else resolve(new Date(certificate.valid_to));
    });
    socket.on("timeout", () => socket.destroy(new Error(`${host}:${port}: no TLS handshake within ${timeoutMs} ms`)));
    socket.on("error", reject);
  });
}

/** Same certificate when the expiry matches to the second (X.509 times have no milliseconds). */
function sameExpiry(served: Date, wanted: Date): boolean {
  return Math.abs(served.getTime() - wanted.getTime()) < 1_000;
}

export interface ReloadInput {
  names: RabbitmqNames;
  address: PodAddress;
  agentOf(pod: string): AgentClient;
  /** Pod uid -> the expiry it was last seen presenting; kept by the engine across reconciles. */
  presented: Map<string, string>;
}

/** Returns true while some node still presents an older certificate (look again soon). */
export async function reloadRenewedCertificates(context: EngineContext, seen: RabbitmqObservation, input: ReloadInput): Promise<boolean> {
  const wanted = context.tls?.notAfter;
  if (!wanted) return false;
  const running = seen.pods.filter((pod) => !pod.terminating && seen.assessment.running.includes(pod.node) && seen.assessment.answering.includes(pod.node));
  // Each node on its own (a reload touches nothing shared): in parallel, so a rotation costs one
  // node's reload, not the sum.
  const outcomes = await Promise.all(running.map((pod) => reloadNode(context, pod, wanted, input, seen.podUids.get(pod.name))));
  return outcomes.includes("waiting");
}

async function reloadNode(context: EngineContext, pod: PodView, wanted: Date, input: ReloadInput, uid: string | undefined): Promise<"current" | "reloaded" | "waiting"> {
  // Known to present it already: nothing to ask (most passes).
  if (!uid || input.presented.get(uid) === wanted.toISOString()) return "current";
  const host = input.address(input.names, pod.name);
  try {
    let outcome: "current" | "reloaded" = "current";
    if (!sameExpiry(await presentedNotAfter(host, PORTS.managementTls), wanted)) {
      const result = await input.agentOf(pod.name).run("reload-tls", pod.node, 60_000);
      if (!result.ok) throw new Error(`reload-tls exited ${result.exitCode}: ${result.output.slice(-300)}`);
      // The Secret's files in the pod are not the new ones yet: the agent found nothing to copy.
      if (!sameExpiry(await presentedNotAfter(host, PORTS.managementTls), wanted)) return "waiting";
      await context.events.normal(context.cluster as unknown as KubeObject, "CertificateReloaded", `${pod.name} now presents the server certificate valid until ${wanted.toISOString()} (reloaded without a restart)`);
      outcome = "reloaded";
    }
    input.presented.set(uid, wanted.toISOString());
    return outcome;
  } catch (error) {
    // A node still running the config from before TLS was switched on has no TLS listener (its
    // rolling restart brings one), or it did not answer just now: the next pass asks again.
    context.log.debug({ err: error, pod: pod.name }, "could not check or reload the certificate a node presents");
    return "waiting";
  }
}
