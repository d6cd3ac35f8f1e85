import type { V1EndpointSlice, V1Service } from "@kubernetes/client-node";
import type { ServiceView } from "./hosts.js";
import { watchCache, type KubeClients, type WatchedCache } from "./kube.js";

/**
 * Services and their EndpointSlices, watched once and shared by the hosts files (the runtime's
 * stand-in for cluster DNS) and the Service proxy (its stand-in for kube-proxy).
 */
export class ClusterView {
  private services?: WatchedCache<V1Service>;
  private slices?: WatchedCache<V1EndpointSlice>;
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly kube: KubeClients,
    private readonly log: (line: string) => void,
  ) {}

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed = (): void => {
    for (const listener of this.listeners) listener();
  };

  async start(): Promise<void> {
    const onError = (error: unknown) => this.log(`watch failed, retrying: ${error instanceof Error ? error.message : String(error)}`);
    this.services = await watchCache(this.kube.config, "/api/v1/services", () => this.kube.core.listServiceForAllNamespaces(), this.changed, onError);
    this.slices = await watchCache(this.kube.config, "/apis/discovery.k8s.io/v1/endpointslices", () => this.kube.discovery.listEndpointSliceForAllNamespaces(), this.changed, onError);
  }

  async stop(): Promise<void> {
    await this.services?.stop();
    await this.slices?.stop();
  }

  allServices(): readonly V1Service[] {
    return this.services?.list() ?? [];
  }

  servicesIn(namespace: string): V1Service[] {
    return [...(this.services?.list(namespace) ?? [])];
  }

  service(namespace: string, name: string): V1Service | undefined {
    return this.services?.get(name, namespace);
  }

  slicesOf(namespace: string, service: string): V1EndpointSlice[] {
    return (this.slices?.list(namespace) ?? []).filter((slice) => slice.metadata?.labels?.["kubernetes.io/service-name"] === service);
  }

  /**
   * What cluster DNS would publish: a ClusterIP Service by its address, a headless one by its
   * ready endpoints (the EndpointSlice controller already counts every endpoint as ready when the
   * Service sets publishNotReadyAddresses), each with its hostname when the pod has one.
   */
  serviceViews(): ServiceView[] {
    const views: ServiceView[] = [];
    for (const service of this.allServices()) {
      const namespace = service.metadata!.namespace!;
      const name = service.metadata!.name!;
      if (service.spec?.type === "ExternalName") continue;
      const clusterIP = service.spec?.clusterIP;
      if (clusterIP && clusterIP !== "None") {
        views.push({ namespace, name, clusterIP, endpoints: [] });
        continue;
      }
      const endpoints: ServiceView["endpoints"] = [];
      for (const slice of this.slicesOf(namespace, name)) {
        if (slice.addressType !== "IPv4") continue;
        for (const endpoint of slice.endpoints ?? []) {
          if (endpoint.conditions?.ready === false) continue;
          for (const ip of endpoint.addresses ?? []) endpoints.push({ ip, hostname: endpoint.hostname });
        }
      }
      views.push({ namespace, name, endpoints });
    }
    return views;
  }
}
