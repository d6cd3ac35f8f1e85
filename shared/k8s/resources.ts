import { KINDS } from "../api/crd.js";
import { GROUP, VERSION } from "../api/common.js";

/** Where a kind lives in the API: enough to build its URL without asking discovery. `group` is "" for core. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

function core(kind: string, plural: string, namespaced = true): ResourceType {
  return { group: "", version: "v1", kind, plural, namespaced };
}

function grouped(group: string, version: string, kind: string, plural: string, namespaced = true): ResourceType {
  return { group, version, kind, plural, namespaced };
}

// Plurals come from the CRD definitions so that the URL and the installed CRD can never disagree.
function steward(kind: string): ResourceType {
  const definition = KINDS.find((candidate) => candidate.kind === kind);
  if (!definition) throw new Error(`shared/api/crd.ts defines no kind ${kind}`);
  return grouped(GROUP, VERSION, kind, definition.plural, definition.scope !== "Cluster");
}

export const RESOURCES = {
  Namespace: core("Namespace", "namespaces", false),
  Pod: core("Pod", "pods"),
  Service: core("Service", "services"),
  Secret: core("Secret", "secrets"),
  ConfigMap: core("ConfigMap", "configmaps"),
  ServiceAccount: core("ServiceAccount", "serviceaccounts"),
  PersistentVolumeClaim: core("PersistentVolumeClaim", "persistentvolumeclaims"),
  PersistentVolume: core("PersistentVolume", "persistentvolumes", false),
  Node: core("Node", "nodes", false),
  Endpoints: core("Endpoints", "endpoints"),
  CoreEvent: core("Event", "events"),
  EndpointSlice: grouped("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
  StatefulSet: grouped("apps", "v1", "StatefulSet", "statefulsets"),
  Deployment: grouped("apps", "v1", "Deployment", "deployments"),
  Job: grouped("batch", "v1", "Job", "jobs"),
  CronJob: grouped("batch", "v1", "CronJob", "cronjobs"),
  PodDisruptionBudget: grouped("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets"),
  Lease: grouped("coordination.k8s.io", "v1", "Lease", "leases"),
  /** cert-manager's, written only for clusters with spec.tls.issuer.certManager. */
  Certificate: grouped("cert-manager.io", "v1", "Certificate", "certificates"),
  Event: grouped("events.k8s.io", "v1", "Event", "events"),
  Role: grouped("rbac.authorization.k8s.io", "v1", "Role", "roles"),
  RoleBinding: grouped("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
  ClusterRole: grouped("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false),
  ClusterRoleBinding: grouped("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false),
  CustomResourceDefinition: grouped("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false),
  DatabaseCluster: steward("DatabaseCluster"),
  DatabaseBackup: steward("DatabaseBackup"),
  DatabaseRestore: steward("DatabaseRestore"),
  BackupStorage: steward("BackupStorage"),
  DatabaseTemplate: steward("DatabaseTemplate"),
  ValidatingAdmissionPolicy: grouped("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", false),
  ValidatingAdmissionPolicyBinding: grouped("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", false),
} as const satisfies Record<string, ResourceType>;

export function apiVersionOf(type: ResourceType): string {
  return type.group === "" ? type.version : `${type.group}/${type.version}`;
}

/** Splits "apps/v1" into group and version ("v1" is the core group). */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The well-known type for an apiVersion and kind, or undefined when only discovery can tell. */
export function knownResourceType(apiVersion: string, kind: string): ResourceType | undefined {
  return Object.values(RESOURCES).find((type) => type.kind === kind && apiVersionOf(type) === apiVersion);
}

/**
 * The URL path of a collection, an object or one of its subresources. A namespaced type
 * without a namespace addresses every namespace (list and watch only).
 */
export function resourcePath(type: ResourceType, namespace: string | undefined, name?: string, subresource?: string): string {
  const root = type.group === "" ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const scope = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  let path = `${root}${scope}/${type.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}
