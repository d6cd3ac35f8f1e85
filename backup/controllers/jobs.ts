import { createHash } from "node:crypto";
import type { V1EnvVar, V1Job } from "@kubernetes/client-node";
import { LABELS, OWNED_LABELS, type BackupStorage, type DatabaseBackup, type DatabaseCluster, type DatabaseRestore } from "../../shared/api/index.js";
import type { KubeObject } from "../../shared/k8s/client.js";
import { ownerReference } from "../../shared/k8s/owner.js";
import { storageEnvironment } from "./storage-access.js";
import { AGENT_PROCESS_ENV } from "../agent/image.js";
import { restrictedPodSpec } from "../../shared/k8s/pod-security.js";

export const AGENT_SERVICE_ACCOUNT = "steward-agent";

/**
 * Least privilege for agents in a namespace: read the Steward resources they report into, and
 * patch the status of backups and restores. Nothing else (no Secrets: they get theirs as
 * environment variables from the pod spec).
 */
export function buildAgentRbac(namespace: string): KubeObject[] {
  const labels = { [LABELS.managedBy]: "steward", [LABELS.component]: "backup-agent" };
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: AGENT_SERVICE_ACCOUNT, namespace, labels } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: AGENT_SERVICE_ACCOUNT, namespace, labels },
      rules: [
        { apiGroups: ["steward.dev"], resources: ["databasebackups", "databaserestores"], verbs: ["get"] },
        { apiGroups: ["steward.dev"], resources: ["databasebackups/status", "databaserestores/status"], verbs: ["get", "patch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: AGENT_SERVICE_ACCOUNT, namespace, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: AGENT_SERVICE_ACCOUNT },
      subjects: [{ kind: "ServiceAccount", name: AGENT_SERVICE_ACCOUNT, namespace }],
    },
  ];
}

/** Job names derived from the resource's name, so a restarted operator finds its Job instead of starting a second. */
export function jobName(owner: string, suffix: "backup" | "restore" | "verify" | "check"): string {
  const full = `${owner}-${suffix}`;
  if (full.length <= 63) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  return `${owner.slice(0, 63 - suffix.length - 10)}-${hash}-${suffix}`;
}

export interface AgentJobInput {
  name: string;
  namespace: string;
  owner: KubeObject;
  labels: Record<string, string>;
  image: string;
  args: string[];
  env: V1EnvVar[];
  storage: BackupStorage;
  /** Volumes the agent writes to (the host filesystem is shared on the local cluster). */
  workDir?: string;
  /** The agent's command (default `steward agent`): the engine's job target says. */
  agentCommand?: string[];
}

/**
 * A Job that runs one agent command once: backoffLimit 0 (a terminal backup or restore is
 * never run again; the next one is a new resource), no restarts, owned by its resource so it
 * goes with it. The pod has a scratch emptyDir at /var/run/steward for anything it writes.
 */
export function buildAgentJob(input: AgentJobInput): KubeObject {
  const job: V1Job = {
    apiVersion: "batch/v1",
    kind: "Job",
    // The owned label: the backup and restore controllers watch Jobs only through it.
    metadata: { name: input.name, namespace: input.namespace, labels: { ...input.labels, ...OWNED_LABELS }, ownerReferences: [ownerReference(input.owner)] },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: 7 * 24 * 3600,
      template: {
        metadata: { labels: input.labels },
        // The agent reports progress into the resource's status: it needs its token.
        spec: restrictedPodSpec({
          restartPolicy: "Never",
          serviceAccountName: AGENT_SERVICE_ACCOUNT,
          enableServiceLinks: false,
          containers: [
            {
              name: "agent",
              image: input.image,
              command: [...(input.agentCommand ?? ["steward", "agent"]), ...input.args],
              env: [...storageEnvironment(input.storage), ...input.env, { name: "TMPDIR", value: SCRATCH }, ...AGENT_PROCESS_ENV],
              resources: { requests: { cpu: "250m", memory: "128Mi" }, limits: { memory: "512Mi" } },
              volumeMounts: [{ name: "scratch", mountPath: SCRATCH }],
              terminationMessagePolicy: "FallbackToLogsOnError",
            },
          ],
          volumes: [{ name: "scratch", emptyDir: {} }],
        }, { apiAccess: true }),
      },
    },
  };
  return job as KubeObject;
}

export const SCRATCH = "/var/run/steward";


export function backupJobLabels(backup: DatabaseBackup, cluster: DatabaseCluster): Record<string, string> {
  return { [LABELS.managedBy]: "steward", [LABELS.cluster]: cluster.metadata.name, [LABELS.backup]: backup.metadata.name, [LABELS.component]: "backup" };
}

export function restoreJobLabels(restore: DatabaseRestore, cluster: string): Record<string, string> {
  return { [LABELS.managedBy]: "steward", [LABELS.cluster]: cluster, [LABELS.restore]: restore.metadata.name, [LABELS.component]: "restore" };
}
