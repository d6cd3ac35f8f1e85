/**
 * Names, labels, ports and paths of a RabbitMQ cluster's objects, in one place so the
 * builders, the reconciler, the agent and the backup code never spell one differently.
 */
import type { DatabaseCluster } from "../../shared/api/index.js";
import { clusterNames, componentSelector, objectLabels } from "../common/names.js";

export const PORTS = {
  amqp: 5672,
  /** AMQP over TLS, when spec.tls.enabled. */
  amqps: 5671,
  management: 15672,
  /** The management API over HTTPS, when spec.tls.enabled. */
  managementTls: 15671,
  prometheus: 15692,
  epmd: 4369,
  /** Erlang distribution (inter-node and CLI traffic): 20000 + the AMQP port. */
  distribution: 25672,
  /** The steward agent sidecar (runs RabbitMQ's CLI tools against the local node). */
  agent: 8766,
} as const;

/**
 * Paths inside the pod. They are the official image's, and the local runtime mounts volumes at
 * the same places: every path RabbitMQ writes is a volume (the host filesystem is shared there).
 */
export const RABBITMQ_PATHS = {
  /** The rabbitmq user's HOME in the official image and in Debian's package: the cookie lives here. */
  home: "/var/lib/rabbitmq",
  cookie: "/var/lib/rabbitmq/.erlang.cookie",
  /** The PVC: RABBITMQ_MNESIA_BASE (node database, quorum queue logs, message stores). */
  data: "/var/lib/rabbitmq/mnesia",
  logs: "/var/log/rabbitmq",
  /** Assembled at start by the setup init container from the sources below (RABBITMQ_CONFIG_FILES). */
  configDir: "/etc/rabbitmq/conf.d",
  /** The ConfigMap's files and the default-user file from the credentials Secret (projected). */
  configSource: "/etc/steward/rabbitmq",
  enabledPlugins: "/etc/steward/rabbitmq/enabled_plugins",
  cookieSource: "/etc/steward/rabbitmq-cookie",
  /**
   * Definitions a restore put on a new node's volume before its first start: loaded at boot
   * (load_definitions) only while the node has no database yet. See setup-script in config.ts.
   */
  restoreDefinitions: "/var/lib/rabbitmq/mnesia/steward-restore/definitions.json",
  /** The cluster's TLS Secret (`<cluster>-tls`: tls.crt, tls.key, ca.crt), when spec.tls.enabled. */
  tlsSource: "/etc/steward/tls",
  /**
   * What RabbitMQ reads: a copy of tlsSource owned by the rabbitmq user (mode 0400), made by the
   * setup container and, after a renewal, by the agent sidecar (see buildTlsInstallScript).
   */
  tlsDir: "/etc/rabbitmq/tls",
} as const;

/** The files RabbitMQ's TLS listeners read, behind the `current` link the install script swaps whole. */
export const RABBITMQ_TLS_FILES = {
  cert: `${RABBITMQ_PATHS.tlsDir}/current/tls.crt`,
  key: `${RABBITMQ_PATHS.tlsDir}/current/tls.key`,
  ca: `${RABBITMQ_PATHS.tlsDir}/current/ca.crt`,
} as const;

/** Keys of `<cluster>-credentials`. */
export const CREDENTIAL_KEYS = {
  adminPassword: "admin-password",
  appPassword: "app-password",
  /** Bearer token of the agent sidecar's HTTP endpoints. */
  agentToken: "agent-token",
  /** A rabbitmq.conf fragment with default_user/default_pass (mounted, never in a ConfigMap). */
  defaultUserConf: "default_user.conf",
} as const;

/** Key of `<cluster>-erlang-cookie`. */
export const COOKIE_KEY = ".erlang.cookie";

/** The administrator user the operator creates and uses (management API, definitions). */
export const ADMIN_USER = "steward-admin";

export function rabbitmqNames(cluster: Pick<DatabaseCluster, "metadata">) {
  const common = clusterNames(cluster);
  return {
    ...common,
    /** The client Service (AMQP, management, Prometheus): what the connection Secret names. */
    clientService: common.cluster,
    clientHost: `${common.cluster}.${common.namespace}.svc`,
    cookie: `${common.cluster}-erlang-cookie`,
    /** The Erlang node name of a pod: long names, the pod's StatefulSet DNS name as host. */
    node: (pod: string) => `rabbit@${common.podHost(pod)}`,
  };
}
export type RabbitmqNames = ReturnType<typeof rabbitmqNames>;

/** The pod of a node name `rabbit@<pod>.<headless>...`, or undefined for a name of another shape. */
export function podOfNode(node: string): string | undefined {
  const match = /^[^@]+@([^.]+)\./.exec(node);
  return match?.[1];
}

/** Labels every object of the cluster carries. */
export function clusterLabels(cluster: Pick<DatabaseCluster, "metadata">, component: string): Record<string, string> {
  return objectLabels(cluster, { engine: "rabbitmq", name: "rabbitmq" }, component);
}

/** What selects the cluster's RabbitMQ pods (stable for the StatefulSet's lifetime: its selector is immutable). */
export function podSelector(cluster: Pick<DatabaseCluster, "metadata">): Record<string, string> {
  return componentSelector(cluster, "broker");
}
