/**
 * What the engines with one primary (MySQL, Redis) share as objects: their options, the agent
 * image and Lease holder they resolve from them, and how the operator reaches one instance.
 */
import type { EffectiveSpec } from "../../shared/api/index.js";
import { agentImage } from "../../backup/agent/image.js";
import { clusterNames } from "./names.js";
import { defaultLeaseHolder } from "./promotion-lease.js";

export interface PrimaryEngineOptions {
  /** The steward image of the agent steps in the pods; default $STEWARD_AGENT_IMAGE or the release image. */
  agentImage?: string;
  /** Overrides the engine image (default from the engine and spec.version). */
  engineImage?: (spec: EffectiveSpec) => string;
  /** How the operator reaches one instance; default its StatefulSet DNS name. */
  podAddress?: (namespace: string, cluster: string, pod: string) => string;
  /** Who holds the promotion lease (default host-pid). */
  identity?: string;
}

export abstract class PrimaryEngine {
  protected readonly agentImage: string;
  /** Who holds the cluster's promotion Lease for this operator process. */
  readonly identity: string;

  constructor(readonly options: PrimaryEngineOptions = {}) {
    this.agentImage = agentImage(options.agentImage);
    this.identity = options.identity ?? defaultLeaseHolder();
  }

  /** Where the operator reaches one instance: options.podAddress, else the pod's StatefulSet DNS name. */
  podAddress(namespace: string, cluster: string, pod: string): string {
    return this.options.podAddress ? this.options.podAddress(namespace, cluster, pod) : clusterNames({ metadata: { name: cluster, namespace } }).podHost(pod);
  }
}
