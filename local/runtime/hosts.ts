/**
 * Names instead of DNS: every pod's /etc/hosts (bind-mounted over the host's) and a marked
 * block of the host's /etc/hosts list what cluster DNS would answer. Built here as pure
 * functions of the Services and their EndpointSlices, the source CoreDNS reads too, so a pod's
 * StatefulSet name exists exactly when its headless Service publishes it: ready endpoints, or
 * all of them with publishNotReadyAddresses (RabbitMQ's peer discovery needs that).
 */

export const CLUSTER_DOMAIN = "cluster.local";

export interface ServiceView {
  namespace: string;
  name: string;
  /** A ClusterIP, or undefined for a headless Service. */
  clusterIP?: string;
  /** Published endpoints (ready ones, or all with publishNotReadyAddresses). */
  endpoints: { ip: string; hostname?: string }[];
}

/** One A record: `<label>.<namespace>.svc.cluster.local` and its search-path forms. */
export interface NameRecord {
  ip: string;
  namespace: string;
  /** "svc" for a Service, "host.svc" for a pod published by a headless Service. */
  label: string;
}

export function nameRecords(services: ServiceView[]): NameRecord[] {
  const records: NameRecord[] = [];
  const seen = new Set<string>();
  const add = (record: NameRecord) => {
    const key = `${record.ip} ${record.label}.${record.namespace}`;
    if (seen.has(key)) return;
    seen.add(key);
    records.push(record);
  };
  const sorted = [...services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const service of sorted) {
    if (service.clusterIP) {
      add({ ip: service.clusterIP, namespace: service.namespace, label: service.name });
      continue;
    }
    const endpoints = [...service.endpoints].sort((a, b) => a.ip.localeCompare(b.ip, undefined, { numeric: true }));
    for (const endpoint of endpoints) {
      add({ ip: endpoint.ip, namespace: service.namespace, label: service.name });
      if (endpoint.hostname) add({ ip: endpoint.ip, namespace: service.namespace, label: `${endpoint.hostname}.${service.name}` });
    }
  }
  return records;
}

function fqdn(record: NameRecord): string {
  return `${record.label}.${record.namespace}.svc.${CLUSTER_DOMAIN}`;
}

/** The names a pod in `fromNamespace` can use for a record, as with the resolv.conf search path. */
export function recordNames(record: NameRecord, fromNamespace: string): string[] {
  const names = [fqdn(record), `${record.label}.${record.namespace}.svc`, `${record.label}.${record.namespace}`];
  if (record.namespace === fromNamespace) names.push(record.label);
  return names;
}

export interface PodIdentity {
  namespace: string;
  hostname: string;
  subdomain?: string;
  ip: string;
  hostAliases?: { ip: string; hostnames: string[] }[];
}

export function podHostsFile(pod: PodIdentity, records: NameRecord[]): string {
  const lines = [
    "# Kubernetes-managed hosts file (Steward local runtime).",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "fe00::0\tip6-mcastprefix",
    "fe00::1\tip6-allnodes",
    "fe00::2\tip6-allrouters",
  ];
  // As the kubelet writes it: a pod with a subdomain knows its own FQDN even before any
  // Service publishes it (an engine resolving its own long node name at boot needs that).
  if (pod.subdomain) lines.push(`${pod.ip}\t${pod.hostname}.${pod.subdomain}.${pod.namespace}.svc.${CLUSTER_DOMAIN}\t${pod.hostname}`);
  else lines.push(`${pod.ip}\t${pod.hostname}`);
  if (pod.hostAliases?.length) {
    lines.push("", "# Entries added by HostAliases.");
    for (const alias of pod.hostAliases) lines.push(`${alias.ip}\t${alias.hostnames.join("\t")}`);
  }
  if (records.length > 0) {
    lines.push("", "# Cluster Services and published pods.");
    for (const record of records) lines.push(`${record.ip}\t${recordNames(record, pod.namespace).join(" ")}`);
  }
  return lines.join("\n") + "\n";
}

/** The host's block: only namespace-qualified forms, since the host is in no namespace. */
export function hostBlockLines(records: NameRecord[]): string[] {
  return records.map((record) => `${record.ip}\t${fqdn(record)} ${record.label}.${record.namespace}.svc`);
}

export function podResolvConf(namespace: string): string {
  // No DNS server runs: names come from the hosts file. A nameserver on the pod's own loopback
  // refuses at once, so looking up an unknown name fails fast instead of timing out.
  return [
    `search ${namespace}.svc.${CLUSTER_DOMAIN} svc.${CLUSTER_DOMAIN} ${CLUSTER_DOMAIN}`,
    "nameserver 127.0.0.1",
    "options ndots:5 timeout:1 attempts:1",
    "",
  ].join("\n");
}
