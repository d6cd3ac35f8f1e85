import type { V1Container, V1VolumeMount } from "@kubernetes/client-node";
import { fieldEnv, secretEnv } from "../../common/resources/containers.js";
import { CREDENTIAL_KEYS, REDIS_PORT, REDIS_TLS_FILES, REDIS_TLS_PORT, USERS } from "../names.js";

export const EXPORTER_CONTAINER = "metrics";
export const EXPORTER_PORT = 9121;

/**
 * The maintained exporter, pinned to the version the local cluster runs (Debian's
 * prometheus-redis-exporter 1.45), so what is tested is what ships. The image's binary is
 * /redis_exporter (the local runtime maps it to Debian's).
 */
export const REDIS_EXPORTER_IMAGE = "oliver006/redis_exporter:v1.45.0";
export const REDIS_EXPORTER_BINARY = "/redis_exporter";

/**
 * The `metrics` sidecar: redis_exporter on the pod's metrics port, address, user and password
 * from the environment (the password by reference to the credentials Secret, never an
 * argument). It signs in as the operator's ACL user: INFO, CONFIG GET and SLOWLOG, which the
 * exporter reads, are refused to the application and probe users. No readiness probe: an
 * exporter that cannot reach the server must not take the database out of its Services;
 * redis_up says so instead.
 *
 * With TLS it reads the TLS port and verifies the server against the cluster's CA and by name:
 * the exporter checks the name it dials against the certificate, which names the pod's DNS
 * name (`podHost`, its own entry in the pod's hosts file), not its IP.
 */
export function buildRedisExporter(credentialsSecret: string, tls?: { podHost: string; mount: V1VolumeMount }): V1Container {
  return {
    name: EXPORTER_CONTAINER,
    image: REDIS_EXPORTER_IMAGE,
    command: [REDIS_EXPORTER_BINARY, `--web.listen-address=:${EXPORTER_PORT}`],
    env: [
      fieldEnv("POD_IP", "status.podIP"),
      fieldEnv("POD_NAME", "metadata.name"),
      // redis-server binds the pod IP only (config.ts).
      tls ? { name: "REDIS_ADDR", value: `rediss://${tls.podHost}:${REDIS_TLS_PORT}` } : { name: "REDIS_ADDR", value: `redis://$(POD_IP):${REDIS_PORT}` },
      ...(tls ? [{ name: "REDIS_EXPORTER_TLS_CA_CERT_FILE", value: REDIS_TLS_FILES.ca }] : []),
      { name: "REDIS_USER", value: USERS.operator },
      secretEnv("REDIS_PASSWORD", credentialsSecret, CREDENTIAL_KEYS.operator),
    ],
    ports: [{ name: "metrics", containerPort: EXPORTER_PORT, protocol: "TCP" }],
    livenessProbe: { tcpSocket: { port: EXPORTER_PORT }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
    ...(tls ? { volumeMounts: [tls.mount] } : {}),
  };
}
