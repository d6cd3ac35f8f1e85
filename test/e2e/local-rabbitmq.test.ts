/**
 * The check that the pod namespaces are faithful, not just that one engine happens to work:
 * three Debian rabbitmq-server nodes named rabbit@<pod>.rmq.<ns>.svc.cluster.local, each with
 * its own epmd and distribution port in its own network namespace, form one cluster through
 * classic-config peer discovery and the headless Service's published (not-ready) addresses.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apply, clients, execOk, freshNamespace, waitFor } from "./local-fixtures.js";

let namespace = "";
let remove: () => Promise<void> = async () => {};
const nodeName = (i: number) => `rabbit@rmq-${i}.rmq.${namespace}.svc.cluster.local`;

beforeAll(async () => {
  ({ namespace, remove } = await freshNamespace("rmq"));
  const config = [
    "cluster_formation.peer_discovery_backend = classic_config",
    ...[0, 1, 2].map((i) => `cluster_formation.classic_config.nodes.${i + 1} = ${nodeName(i)}`),
    "cluster_formation.discovery_retry_limit = 10",
    "cluster_formation.discovery_retry_interval = 500",
    "listeners.tcp.default = 5672",
    "loopback_users = none",
    "log.console = true",
  ].join("\n");
  await apply([
    { apiVersion: "v1", kind: "Secret", metadata: { name: "rmq-cookie", namespace }, stringData: { cookie: randomBytes(24).toString("hex") } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "rmq-config", namespace }, data: { "rabbitmq.conf": config + "\n", enabled_plugins: "[].\n" } },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "rmq", namespace },
      spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: { app: "rmq" }, ports: [{ name: "amqp", port: 5672 }, { name: "epmd", port: 4369 }, { name: "dist", port: 25672 }] },
    },
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "rmq", namespace },
      spec: {
        replicas: 3,
        serviceName: "rmq",
        selector: { matchLabels: { app: "rmq" } },
        template: {
          metadata: { labels: { app: "rmq" } },
          spec: {
            terminationGracePeriodSeconds: 10,
            initContainers: [
              {
                name: "setup",
                image: "busybox",
                // Debian's rabbitmq-server script drops to the rabbitmq user: it must own its data.
                command: ["sh", "-c", "cp /cookie/cookie /var/lib/rabbitmq/.erlang.cookie && chmod 400 /var/lib/rabbitmq/.erlang.cookie && mkdir -p /var/lib/rabbitmq/mnesia && chown -R rabbitmq:rabbitmq /var/lib/rabbitmq"],
                volumeMounts: [
                  { name: "data", mountPath: "/var/lib/rabbitmq" },
                  { name: "cookie", mountPath: "/cookie" },
                ],
              },
            ],
            containers: [
              {
                name: "rabbitmq",
                image: "rabbitmq:3.10",
                command: ["rabbitmq-server"],
                env: [
                  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                  { name: "RABBITMQ_USE_LONGNAME", value: "true" },
                  { name: "RABBITMQ_NODENAME", value: "rabbit@$(POD_NAME).rmq.$(POD_NAMESPACE).svc.cluster.local" },
                  { name: "RABBITMQ_CONFIG_FILE", value: "/etc/rabbitmq/rabbitmq.conf" },
                  { name: "RABBITMQ_ENABLED_PLUGINS_FILE", value: "/etc/rabbitmq/enabled_plugins" },
                  { name: "RABBITMQ_MNESIA_BASE", value: "/var/lib/rabbitmq/mnesia" },
                  { name: "RABBITMQ_LOGS", value: "-" },
                ],
                ports: [{ name: "amqp", containerPort: 5672 }],
                readinessProbe: { tcpSocket: { port: "amqp" }, periodSeconds: 2 },
                volumeMounts: [
                  { name: "data", mountPath: "/var/lib/rabbitmq" },
                  { name: "config", mountPath: "/etc/rabbitmq" },
                ],
              },
            ],
            volumes: [
              { name: "cookie", secret: { secretName: "rmq-cookie" } },
              { name: "config", configMap: { name: "rmq-config" } },
            ],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
      },
    },
  ]);
});

afterAll(async () => remove());

describe("a 3-node RabbitMQ cluster on the process runtime", () => {
  it("forms across three pods, each a node with its own long name", async () => {
    const { apps } = clients();
    await waitFor("3/3 RabbitMQ pods ready", async () => (await apps.readNamespacedStatefulSet({ name: "rmq", namespace })).status?.readyReplicas === 3, 240_000, 1000);
    let status: { running_nodes?: string[] } = {};
    await waitFor("cluster_status to list 3 running nodes", async () => {
      const out = await execOk(namespace, "rmq-0", ["rabbitmqctl", "cluster_status", "--formatter", "json"]);
      status = JSON.parse(out.slice(out.indexOf("{"))) as { running_nodes?: string[] };
      return status.running_nodes?.length === 3;
    }, 60_000, 2000);
    expect([...status.running_nodes!].sort()).toEqual([0, 1, 2].map(nodeName));
  });
});
