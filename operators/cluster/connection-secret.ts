import { LABELS } from "../../shared/api/index.js";
import type { DatabaseCluster } from "../../shared/api/index.js";
import type { KubeObject } from "../../shared/k8s/client.js";
import { ownerReference } from "../../shared/k8s/owner.js";
import type { ConnectionInfo } from "../engine.js";

export function connectionSecretName(cluster: DatabaseCluster): string {
  return `${cluster.metadata.name}-conn`;
}

/** `<cluster>-conn`: what an application mounts to connect (host, port, username, password, uri; database and readOnlyHost where the engine has them; ca.crt when it serves TLS). */
export function buildConnectionSecret(cluster: DatabaseCluster, connection: ConnectionInfo): KubeObject {
  const data: Record<string, string> = {
    host: connection.host,
    port: String(connection.port),
    username: connection.username,
    password: connection.password,
    uri: connection.uri,
  };
  if (connection.database) data.database = connection.database;
  if (connection.readOnlyHost) data.readOnlyHost = connection.readOnlyHost;
  if (connection.ca) data["ca.crt"] = connection.ca;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: connectionSecretName(cluster),
      namespace: cluster.metadata.namespace,
      labels: {
        [LABELS.cluster]: cluster.metadata.name,
        [LABELS.engine]: cluster.spec.engine,
        [LABELS.component]: "connection",
        [LABELS.managedBy]: "steward",
      },
      ownerReferences: [ownerReference(cluster as unknown as KubeObject)],
    },
    type: "Opaque",
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString("base64")])),
  };
}
