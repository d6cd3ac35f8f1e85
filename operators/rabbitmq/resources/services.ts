import type { KubeObject } from "../../../shared/k8s/client.js";
import { PORTS, clusterLabels, podSelector, rabbitmqNames } from "../names.js";
import { owned, type BuildInput } from "./build-input.js";

/**
 * `<cluster>-headless`: the StatefulSet's governing Service. It gives every pod the DNS name its
 * Erlang node is named after (`rabbit@<pod>.<cluster>-headless.<ns>.svc.cluster.local`).
 * Not-ready pods are published: a booting node must resolve its peers (and they it) before any
 * of them is ready, or a new cluster could never form.
 */
export function buildHeadlessService(input: BuildInput): KubeObject {
  const names = rabbitmqNames(input.cluster);
  return owned(input, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: names.headless, namespace: names.namespace, labels: clusterLabels(input.cluster, "headless") },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: podSelector(input.cluster),
      ports: [
        { name: "epmd", port: PORTS.epmd, targetPort: PORTS.epmd, protocol: "TCP" },
        { name: "cluster-links", port: PORTS.distribution, targetPort: PORTS.distribution, protocol: "TCP" },
        { name: "agent", port: PORTS.agent, targetPort: PORTS.agent, protocol: "TCP" },
      ],
    },
  });
}

/**
 * `<cluster>`: what applications connect to (the connection Secret names it): AMQP, the
 * management UI/API and Prometheus metrics, on every ready node. A node that is draining,
 * paused by pause_minority or booting closes its AMQP listener, fails readiness and drops out.
 */
export function buildClientService(input: BuildInput): KubeObject {
  const names = rabbitmqNames(input.cluster);
  return owned(input, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: names.clientService, namespace: names.namespace, labels: clusterLabels(input.cluster, "client") },
    spec: {
      type: "ClusterIP",
      selector: podSelector(input.cluster),
      ports: [
        { name: "amqp", port: PORTS.amqp, targetPort: PORTS.amqp, protocol: "TCP", appProtocol: "amqp" },
        { name: "management", port: PORTS.management, targetPort: PORTS.management, protocol: "TCP", appProtocol: "http" },
        { name: "prometheus", port: PORTS.prometheus, targetPort: PORTS.prometheus, protocol: "TCP", appProtocol: "http" },
      ],
    },
  });
}
