/**
 * What the runtime-*.test.ts files share: a client for the local cluster, a namespace of
 * their own, the CRDs, and a TCP relay that can cut the client's connections for real.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, inject } from "vitest";
import { parse } from "yaml";
import { waitFor } from "../../local/processes.js";
import { KubeClient, RESOURCES, type KubeObject } from "../../shared/k8s/client.js";

export { waitFor };

const CRD_DIR = join(import.meta.dirname, "..", "..", "crds");

export function clientFor(kubeconfig: string): KubeClient {
  return KubeClient.fromKubeconfig(kubeconfig);
}

export interface TestNamespace {
  readonly client: KubeClient;
  readonly namespace: string;
}

/**
 * Registers the file's beforeAll/afterAll: a client, the CRDs when asked, and a namespace
 * of the file's own (deleted after). Read `client` and `namespace` inside tests and hooks.
 */
export function useTestNamespace(prefix: string, options: { crds?: boolean } = {}): TestNamespace {
  const state: { client?: KubeClient; namespace?: string } = {};
  beforeAll(async () => {
    state.client = clientFor(inject("kubeconfig"));
    if (options.crds) await installCrds(state.client);
    state.namespace = await createNamespace(state.client, prefix);
  });
  afterAll(async () => {
    if (state.client && state.namespace) await deleteNamespace(state.client, state.namespace);
    await state.client?.close();
  });
  return {
    get client() {
      if (!state.client) throw new Error("the test namespace is ready only inside tests and hooks");
      return state.client;
    },
    get namespace() {
      if (!state.namespace) throw new Error("the test namespace is ready only inside tests and hooks");
      return state.namespace;
    },
  };
}

/** A fresh namespace named after the test file, so files never see each other's objects. */
export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return name;
}

export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete(RESOURCES.Namespace, undefined, name);
}

/**
 * Applies every CRD in crds/ and waits until the API server serves each kind. The API server
 * holds every create of a custom resource for 2 s while its CRD is less than 2 s
 * established (customresource_handler.go); waiting that out keeps timings in tests honest.
 */
export async function installCrds(client: KubeClient): Promise<void> {
  const files = readdirSync(CRD_DIR).filter((file) => file.endsWith(".yaml"));
  let establishedAt = 0;
  for (const file of files) {
    const crd = parse(readFileSync(join(CRD_DIR, file), "utf8")) as KubeObject;
    await client.apply(crd);
    await waitFor(`CRD ${crd.metadata.name} to be established`, async () => {
      const current = await client.get(RESOURCES.CustomResourceDefinition, undefined, crd.metadata.name);
      const conditions = (current?.status as { conditions?: { type: string; status: string; lastTransitionTime: string }[] } | undefined)?.conditions;
      const established = conditions?.find((condition) => condition.type === "Established" && condition.status === "True");
      if (established) establishedAt = Math.max(establishedAt, Date.parse(established.lastTransitionTime));
      return established !== undefined;
    }, 30_000, 100);
  }
  for (const type of [RESOURCES.DatabaseCluster, RESOURCES.DatabaseBackup, RESOURCES.DatabaseRestore, RESOURCES.BackupStorage, RESOURCES.DatabaseTemplate]) {
    await waitFor(`the API server to serve ${type.plural}`, async () => (await client.list(type, type.namespaced ? "default" : undefined), true), 30_000);
  }
  // lastTransitionTime has whole seconds: one more second covers the rounding.
  const settleMs = establishedAt + 3000 - Date.now();
  if (settleMs > 0) await sleep(settleMs);
}

/** Copies the kubeconfig with its server replaced (same CA and client certificate). */
export function clientThrough(kubeconfig: string, server: string): KubeClient {
  const text = readFileSync(kubeconfig, "utf8");
  const config = parse(text) as { clusters: { cluster: { server: string } }[] };
  for (const entry of config.clusters) entry.cluster.server = server;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(JSON.stringify(config));
  return new KubeClient(kubeConfig);
}

/**
 * A TCP relay in front of the API server. TLS passes through untouched (the server's
 * certificate is valid for 127.0.0.1 on any port), so cutting here is what a network failure
 * does to the client: its sockets are reset mid-stream and, while refusing, reconnects fail.
 */
export class TcpRelay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  /** Connections accepted so far (a reconnect shows up here). */
  connections = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<string> {
    this.server = createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      this.connections++;
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    if (!address || typeof address === "string") throw new Error("the relay has no port");
    return `https://127.0.0.1:${address.port}`;
  }

  /** Resets every open connection; with `refuseFor` also refuses new ones for that long. */
  cut(refuseForMs = 0): void {
    this.refusing = refuseForMs > 0;
    for (const socket of this.sockets) socket.resetAndDestroy();
    if (refuseForMs > 0) setTimeout(() => (this.refusing = false), refuseForMs);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export function serverOf(kubeconfig: string): { host: string; port: number } {
  const config = parse(readFileSync(kubeconfig, "utf8")) as { clusters: { cluster: { server: string } }[] };
  const url = new URL(config.clusters[0]!.cluster.server);
  return { host: url.hostname, port: Number(url.port) };
}
