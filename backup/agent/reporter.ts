import { existsSync, writeFileSync } from "node:fs";
import type { Logger } from "../../shared/log.js";
import { InClusterStatusClient } from "./in-cluster.js";
import { RESOURCES, type ResourceType } from "../../shared/k8s/resources.js";

/**
 * How an agent tells the operator and people how far it got: merge patches of the
 * DatabaseBackup/DatabaseRestore status through the API (the `steward-agent` ServiceAccount
 * may patch only the status of these two kinds in its namespace). Progress is written at most
 * every 2 s. Reporting is best effort: the backup's truth is in S3 (the manifest) and in the
 * Job's result, from which the operator completes the status if the agent could not.
 * The final error is also written to the container's termination message.
 */
export class StatusReporter {
  private lastWrite = 0;
  private pending?: Record<string, unknown>;
  private timer?: NodeJS.Timeout;
  /** The pod's service account when in a pod (a few MiB); else the kubeconfig's client, loaded only then (@kubernetes/client-node is ~70 MiB of RSS). */
  private readonly client?: Promise<StatusPatcher | undefined>;

  constructor(
    private readonly type: ResourceType,
    private readonly namespace: string | undefined,
    private readonly name: string | undefined,
    private readonly log: Logger,
  ) {
    if (!namespace || !name) return;
    this.client = statusPatcher().catch((error: unknown) => {
      log.warn({ err: (error as Error).message }, "No API access: progress is not reported (the operator reads the result from S3)");
      return undefined;
    });
  }

  static forBackup(namespace: string | undefined, name: string | undefined, log: Logger): StatusReporter {
    return new StatusReporter(RESOURCES.DatabaseBackup, namespace, name, log);
  }

  static forRestore(namespace: string | undefined, name: string | undefined, log: Logger): StatusReporter {
    return new StatusReporter(RESOURCES.DatabaseRestore, namespace, name, log);
  }

  /** Throttled: the latest progress is written within 2 s. */
  progress(status: Record<string, unknown>): void {
    this.pending = status;
    if (this.timer) return;
    const wait = Math.max(0, 2000 - (Date.now() - this.lastWrite));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const next = this.pending;
      this.pending = undefined;
      if (next) void this.write(next);
    }, wait);
  }

  async write(status: Record<string, unknown>): Promise<void> {
    this.lastWrite = Date.now();
    const client = await this.client;
    if (!client || !this.namespace || !this.name) return;
    try {
      await client.patchStatus(this.type, this.namespace, this.name, status);
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, `Could not report to ${this.type.kind} ${this.namespace}/${this.name}`);
    }
  }

  /** Stops pending progress writes and writes the final status. */
  async finish(status: Record<string, unknown>): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    await this.write(status);
    await (await this.client)?.close?.();
  }
}

interface StatusPatcher {
  patchStatus(type: ResourceType, namespace: string, name: string, status: Record<string, unknown>): Promise<void>;
  close?(): Promise<void>;
}

async function statusPatcher(): Promise<StatusPatcher> {
  const inCluster = process.env.KUBECONFIG ? undefined : InClusterStatusClient.fromEnvironment();
  if (inCluster) return inCluster;
  const { KubeClient } = await import("../../shared/k8s/client.js");
  const client = KubeClient.fromKubeconfig();
  return {
    patchStatus: async (type, namespace, name, status) => void (await client.mergePatch(type, namespace, name, { status }, { subresource: "status" })),
    close: () => client.close(),
  };
}

const TERMINATION_LOG = "/dev/termination-log";

/** Kubernetes shows /dev/termination-log in the container's status: the operator quotes it. */
export function writeTerminationMessage(message: string): void {
  // Only where the kubelet mounted it: on a shared host filesystem nothing is created in /dev.
  if (!existsSync(TERMINATION_LOG)) return;
  try {
    writeFileSync(TERMINATION_LOG, message.slice(0, 4000));
  } catch {
    // Not in a container (tests, a shell): stderr has it anyway.
  }
}
