import type { KubeObject } from "../../../shared/k8s/client.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { buildClusterIpService, buildGoverningService, servicePort } from "../../common/resources/services.js";
import { PORTS, clusterLabels, podSelector, rabbitmqNames } from "../names.js";

/**
 * `<cluster>-headless`: the StatefulSet's governing Service (see common/resources/services.ts).
 * Every Erlang node is named after its pod's DNS name (`rabbit@<pod>.<cluster>-headless...`);
 * not-ready pods are published because a booting node must resolve its peers (and they it)
 * before any of them is ready, or a new cluster could never form.
 */
export function buildHeadlessService(input: BuildInput): KubeObject {
  return buildGoverningService(input, {
    name: rabbitmqNames(input.cluster).headless,
    labels: clusterLabels(input.cluster, "headless"),
    selector: podSelector(input.cluster),
    ports: [servicePort("epmd", PORTS.epmd), servicePort("cluster-links", PORTS.distribution), servicePort("agent", PORTS.agent)],
  });
}

/**
 * `<cluster>`: what applications connect to (the connection Secret names it): AMQP, the
 * management UI/API and Prometheus metrics, on every ready node. A node that is draining,
 * paused by pause_minority or booting closes its AMQP listener, fails readiness and drops out.
 * With spec.tls, AMQPS and HTTPS too; with spec.tls.required, only those (and metrics).
 */
export function buildClientService(input: BuildInput): KubeObject {
  const tls = input.spec.tls.enabled ? input.spec.tls : undefined;
  return buildClusterIpService(input, {
    name: rabbitmqNames(input.cluster).clientService,
    labels: clusterLabels(input.cluster, "client"),
    selector: podSelector(input.cluster),
    ports: [
      ...(tls?.required ? [] : [servicePort("amqp", PORTS.amqp, "amqp"), servicePort("management", PORTS.management, "http")]),
      ...(tls ? [servicePort("amqps", PORTS.amqps, "amqps"), servicePort("management-tls", PORTS.managementTls, "https")] : []),
      servicePort("prometheus", PORTS.prometheus, "http"),
    ],
  });
}
