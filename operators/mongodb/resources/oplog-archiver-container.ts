import type { V1Container } from "@kubernetes/client-node";
import type { DatabaseCluster, EffectiveSpec } from "../../../shared/api/index.js";
import { backupStorageSecretName } from "../../../backup/cluster-secrets.js";
import { AGENT_PROCESS_ENV } from "../../../backup/agent/image.js";
import { jobCredentialsEnv } from "../../../backup/agent/variables.js";
import { fieldEnv } from "../../common/resources/containers.js";
import { ADMIN_USER, CREDENTIAL_KEYS, MONGODB_UID, mongodbNames } from "../names.js";

export const OPLOG_ARCHIVER_CONTAINER = "oplog-archiver";

/**
 * The point-in-time sidecar (spec.backup.pointInTime.enabled): `steward agent
 * mongodb-oplog-archiver` beside mongod, reading the member's own oplog over localhost as the
 * operator's admin user (reading `local` needs it), with the storage from the cluster's
 * `<cluster>-backup-storage` Secret. Only the primary's sidecar tails and uploads.
 */
export function buildOplogArchiverContainer(cluster: DatabaseCluster, spec: Pick<EffectiveSpec, "backup">, agentImage: string): V1Container {
  const names = mongodbNames(cluster);
  return {
    name: OPLOG_ARCHIVER_CONTAINER,
    image: agentImage,
    command: ["steward", "agent", "mongodb-oplog-archiver"],
    args: ["--namespace", names.namespace, "--cluster", names.cluster, "--compression", spec.backup?.compression ?? "zstd", "--max-slice-age", "10s"],
    env: [fieldEnv("POD_NAME", "metadata.name"), ...jobCredentialsEnv(ADMIN_USER, names.credentials, CREDENTIAL_KEYS.admin), { name: "STEWARD_COMPONENT", value: OPLOG_ARCHIVER_CONTAINER }, ...AGENT_PROCESS_ENV],
    envFrom: [{ secretRef: { name: backupStorageSecretName(cluster) } }],
    // Up to 8 slices of 16 MiB may wait in memory while S3 is unreachable.
    resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { memory: "320Mi" } },
    securityContext: { runAsUser: MONGODB_UID, runAsGroup: MONGODB_UID, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  };
}
