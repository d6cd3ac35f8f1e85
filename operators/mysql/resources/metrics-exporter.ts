import type { V1Container } from "@kubernetes/client-node";
import { fieldEnv, secretEnv } from "../../common/resources/containers.js";
import { CREDENTIAL_KEYS, MYSQL_PORT, USERS } from "../names.js";

export const EXPORTER_CONTAINER = "metrics";
export const EXPORTER_PORT = 9104;

/**
 * The maintained exporter, pinned. v0.14.0 is the version the local cluster runs (Debian's
 * prometheus-mysqld-exporter), so what is tested is what ships; 0.15 drops DATA_SOURCE_NAME
 * for --mysqld.address and MYSQLD_EXPORTER_PASSWORD, so moving up changes this builder.
 * The image's binary is /bin/mysqld_exporter (the local runtime maps it to Debian's).
 */
export const MYSQLD_EXPORTER_IMAGE = "prom/mysqld-exporter:v0.14.0";
export const MYSQLD_EXPORTER_BINARY = "/bin/mysqld_exporter";

/**
 * The `metrics` sidecar: mysqld_exporter as the `monitor` user (PROCESS and replication
 * monitoring only), on the pod's metrics port. The password comes from the credentials Secret
 * into the environment and the DSN is put together there ($(VAR) expansion), never in an
 * argument. No readiness probe: an exporter that cannot reach the server must not take the
 * database out of its Services; mysql_up says so instead.
 */
export function buildMysqldExporter(credentialsSecret: string): V1Container {
  return {
    name: EXPORTER_CONTAINER,
    image: MYSQLD_EXPORTER_IMAGE,
    command: [MYSQLD_EXPORTER_BINARY, `--web.listen-address=:${EXPORTER_PORT}`],
    env: [
      fieldEnv("POD_IP", "status.podIP"),
      secretEnv("MYSQLD_EXPORTER_PASSWORD", credentialsSecret, CREDENTIAL_KEYS.monitor),
      // mysqld binds the pod IP only (config.ts), so the exporter dials it rather than localhost.
      { name: "DATA_SOURCE_NAME", value: `${USERS.monitor}:$(MYSQLD_EXPORTER_PASSWORD)@tcp($(POD_IP):${MYSQL_PORT})/` },
    ],
    ports: [{ name: "metrics", containerPort: EXPORTER_PORT, protocol: "TCP" }],
    livenessProbe: { tcpSocket: { port: EXPORTER_PORT }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
  };
}
