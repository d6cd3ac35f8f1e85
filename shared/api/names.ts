/**
 * The API's names (group, version, labels, annotations), apart from the schemas: code that only
 * names things (pod builders in agent processes) imports this without loading zod and the schemas.
 */
export const GROUP = "steward.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Labels and annotations Steward reads and writes, in one place so no two files spell them differently. */
export const LABELS = {
  cluster: "steward.dev/cluster",
  engine: "steward.dev/engine",
  role: "steward.dev/role",
  component: "steward.dev/component",
  backup: "steward.dev/backup",
  restore: "steward.dev/restore",
  scheduled: "steward.dev/scheduled",
  managedBy: "app.kubernetes.io/managed-by",
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
} as const;

/**
 * The label every object Steward creates carries (Secrets, ConfigMaps, Services, StatefulSets,
 * PDBs, Jobs, agent RBAC, admission policies): the operator watches owned kinds only through
 * this selector. A new kind of owned object must carry it, or its changes wake nothing.
 */
export const OWNED_LABELS: Readonly<Record<string, string>> = { [LABELS.managedBy]: "steward" };
export const OWNED_SELECTOR = `${LABELS.managedBy}=steward`;

export const ANNOTATIONS = {
  paused: "steward.dev/paused",
  switchover: "steward.dev/switchover",
  fenced: "steward.dev/fenced",
  restartedAt: "steward.dev/restarted-at",
  /** Any new value asks the operator to renew the cluster's server certificate now (tests, incident response). */
  rotateTls: "steward.dev/rotate-tls",
  /** A hash of what Steward last applied to an object; applyIfChanged skips an unchanged one. */
  appliedHash: "steward.dev/applied-hash",
} as const;

export const FIELD_MANAGER = "steward";
