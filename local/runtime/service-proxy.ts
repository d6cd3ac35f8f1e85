import { connect, createServer, type Server, type Socket } from "node:net";
import type { ClusterView } from "./cluster-view.js";
import type { SlotNetwork } from "./network.js";
import { SerialJob } from "./serial.js";
import { cidrsOverlap } from "./slot.js";

interface Listener {
  server: Server;
  namespace: string;
  service: string;
  portName: string;
}

const CONNECT_TIMEOUT_MS = 2000;

/**
 * kube-proxy's old user-space mode: for every TCP port of every Service with a ClusterIP, a
 * listener on ClusterIP:port (the ClusterIP is a /32 on the slot's bridge, so the host and the
 * pods reach it) that connects each client to a ready endpoint from the Service's EndpointSlices,
 * round-robin, trying the next endpoint when one refuses or does not answer. UDP is not proxied.
 */
export class ServiceProxy {
  private readonly listeners = new Map<string, Listener>();
  private readonly addresses = new Set<string>();
  private readonly next = new Map<string, number>();
  private stopped = false;
  private readonly job = new SerialJob(
    () => this.reconcile(),
    (error) => this.log(`service proxy: ${error instanceof Error ? error.message : String(error)}`),
    () => !this.stopped,
  );
  connections = 0;

  constructor(
    private readonly view: ClusterView,
    private readonly network: SlotNetwork,
    private readonly log: (line: string) => void,
    /**
     * The API server, for the `kubernetes` Service: with a loopback advertise address the API
     * server publishes no endpoints for it (and an EndpointSlice may not hold 127.0.0.1), so
     * the proxy knows its one backend itself and pods still reach the in-cluster API.
     */
    private readonly apiserver?: { host: string; port: number },
  ) {}

  /** Reconciles listeners and addresses with the Services; calls coalesce. */
  sync(): void {
    this.job.trigger();
  }

  private async reconcile(): Promise<void> {
    const wanted = new Map<string, Omit<Listener, "server"> & { ip: string; port: number }>();
    const wantedAddresses = new Set<string>();
    for (const service of this.view.allServices()) {
      const ip = service.spec?.clusterIP;
      if (!ip || ip === "None" || !cidrsOverlap(`${ip}/32`, this.network.slot.serviceCidr)) continue;
      wantedAddresses.add(ip);
      const namespace = service.metadata!.namespace!;
      const name = service.metadata!.name!;
      for (const port of service.spec?.ports ?? []) {
        if ((port.protocol ?? "TCP") !== "TCP") continue;
        // No listener without a ready endpoint: a client is refused, as kube-proxy's REJECT
        // rule does, rather than connected and then reset.
        if (this.endpoints(namespace, name, port.name ?? "").length === 0) continue;
        wanted.set(`${ip}:${port.port}`, { namespace, service: name, portName: port.name ?? "", ip, port: port.port });
      }
    }
    for (const [key, listener] of this.listeners) {
      const want = wanted.get(key);
      if (want && want.namespace === listener.namespace && want.service === listener.service && want.portName === listener.portName) continue;
      listener.server.close();
      this.listeners.delete(key);
    }
    for (const address of wantedAddresses) {
      if (this.addresses.has(address)) continue;
      await this.network.addClusterIp(address);
      this.addresses.add(address);
    }
    for (const [key, want] of wanted) {
      if (this.listeners.has(key) || this.stopped) continue;
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => this.forward(client, want.namespace, want.service, want.portName));
      await new Promise<void>((resolve) => {
        server.once("error", (error) => {
          this.log(`service proxy: cannot listen on ${key} for ${want.namespace}/${want.service}: ${error.message}`);
          resolve();
        });
        server.listen(want.port, want.ip, () => resolve());
      });
      if (server.listening) this.listeners.set(key, { server, namespace: want.namespace, service: want.service, portName: want.portName });
    }
    for (const address of [...this.addresses]) {
      if (wantedAddresses.has(address)) continue;
      await this.network.removeClusterIp(address);
      this.addresses.delete(address);
    }
  }

  /** Ready endpoints of a Service port, as host:port pairs. */
  endpoints(namespace: string, service: string, portName: string): { host: string; port: number }[] {
    const out: { host: string; port: number }[] = [];
    for (const slice of this.view.slicesOf(namespace, service)) {
      if (slice.addressType !== "IPv4") continue;
      const port = slice.ports?.find((p) => (p.name ?? "") === portName && (p.protocol ?? "TCP") === "TCP")?.port;
      if (!port) continue;
      for (const endpoint of slice.endpoints ?? []) {
        if (endpoint.conditions?.ready === false) continue;
        for (const host of endpoint.addresses ?? []) out.push({ host, port });
      }
    }
    if (out.length === 0 && this.apiserver && namespace === "default" && service === "kubernetes") out.push(this.apiserver);
    return out.sort((a, b) => a.host.localeCompare(b.host, undefined, { numeric: true }));
  }

  private forward(client: Socket, namespace: string, service: string, portName: string): void {
    this.connections++;
    client.on("error", () => client.destroy());
    const candidates = this.endpoints(namespace, service, portName);
    if (candidates.length === 0) {
      client.resetAndDestroy();
      return;
    }
    const key = `${namespace}/${service}:${portName}`;
    const start = (this.next.get(key) ?? 0) % candidates.length;
    this.next.set(key, start + 1);
    const attempt = (i: number) => {
      if (i >= candidates.length || client.destroyed) {
        client.resetAndDestroy();
        return;
      }
      const target = candidates[(start + i) % candidates.length]!;
      const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
      let connected = false;
      upstream.setTimeout(CONNECT_TIMEOUT_MS, () => {
        if (!connected) {
          upstream.destroy();
          attempt(i + 1);
        }
      });
      upstream.once("error", () => {
        if (!connected) return attempt(i + 1);
        client.destroy();
      });
      upstream.once("connect", () => {
        connected = true;
        upstream.setTimeout(0);
        client.setNoDelay(true);
        client.on("error", () => upstream.destroy());
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.job.idle();
    await Promise.all([...this.listeners.values()].map((l) => new Promise((resolve) => l.server.close(resolve))));
    this.listeners.clear();
  }
}
