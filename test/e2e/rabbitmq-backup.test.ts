/**
 * RabbitMQ definitions backup and restore on the local cluster, through the DatabaseBackup and
 * DatabaseRestore resources and the local S3: given a cluster with a user, a vhost, permissions,
 * a policy, an exchange, a quorum queue with a message and a binding, when it is backed up and
 * the backup restored into a new cluster, then the new cluster has the same definitions (every
 * section's checksum equal, apart from the users each cluster manages itself), the user logs in
 * with its old password, the new cluster's own administrator and application user work, and the
 * queue is there and empty: messages are not part of a backup.
 * One node per cluster: a definitions backup does not depend on the cluster's size.
 */
import { join } from "node:path";
import { connect } from "amqplib";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { databaseBackup, databaseCluster, databaseRestore } from "../../shared/api/index.js";
import { KubeClient, RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { readSecret } from "../../shared/secrets.js";
import { createOperator } from "../../operators/operator.js";
import { RabbitmqEngine } from "../../operators/rabbitmq/engine.js";
import { RabbitmqBackup } from "../../operators/rabbitmq/backup/rabbitmq-backup.js";
import { ADMIN_USER, CREDENTIAL_KEYS, rabbitmqNames } from "../../operators/rabbitmq/names.js";
import type { Manager } from "../../shared/runtime/manager.js";
import { installCrds } from "../integration/runtime-fixtures.js";
import { createLocalBackupStorage } from "./cluster-fixtures.js";
import { restrictedNamespace, waitFor } from "./local-fixtures.js";

const SOURCE = "events";
const COPY = "events-copy";
const AGENT = [process.execPath, join(process.cwd(), "dist", "operators", "rabbitmq", "agent", "main.js")];
let client: KubeClient;
let namespace = "";
let removeNamespace: () => Promise<void> = async () => {};
let operator: Manager | undefined;

async function admin(cluster: string) {
  const names = rabbitmqNames({ metadata: { name: cluster, namespace } });
  const secret = await readSecret(client, namespace, names.credentials);
  const password = secret![CREDENTIAL_KEYS.adminPassword]!;
  const host = names.podHost(names.pod(0));
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://${host}:15672/api${path}`, {
      method,
      headers: { authorization: `Basic ${Buffer.from(`${ADMIN_USER}:${password}`).toString("base64")}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response;
  };
  return { host, password, call, endpoint: { host, port: 15672, username: ADMIN_USER, password, options: { excludeUsers: "app" } } };
}

async function waitPhase(kind: "DatabaseCluster" | "DatabaseBackup" | "DatabaseRestore", name: string, phases: string[], timeoutMs: number): Promise<string> {
  let phase = "";
  await waitFor(`${kind} ${name} ${phases.join("|")}`, async () => {
    const raw = await client.get<KubeObject>(RESOURCES[kind], namespace, name);
    phase = String((raw?.status as { phase?: string } | undefined)?.phase ?? "");
    return phases.includes(phase);
  }, timeoutMs, 1_000);
  return phase;
}

async function canLogIn(host: string, user: string, password: string, vhost: string): Promise<boolean> {
  try {
    const connection = await connect(`amqp://${user}:${password}@${host}:5672/${encodeURIComponent(vhost)}`);
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  client = KubeClient.fromKubeconfig(inject("kubeconfig"));
  await installCrds(client);
  ({ namespace, remove: removeNamespace } = await restrictedNamespace("rmq-backup"));
  await createLocalBackupStorage(client, namespace, inject("s3"), { name: "store", prefix: "rabbitmq/" });
  operator = createOperator({ client, namespace, leaderElection: false, leaseNamespace: namespace, leaseName: "steward", engines: { rabbitmq: new RabbitmqEngine({ agentImage: "steward:local", agentCommand: AGENT, bootstrapCommand: [...AGENT, "bootstrap"] }) } });
  await operator.start();
  await client.create({
    apiVersion: "steward.dev/v1alpha1",
    kind: "DatabaseCluster",
    metadata: { name: SOURCE, namespace },
    spec: { engine: "rabbitmq", version: "3.10", replicas: 1, storage: { size: "1Gi" }, resources: { limits: { cpu: "1", memory: "1Gi" } }, backup: { storage: "store" } },
  });
  await waitPhase("DatabaseCluster", SOURCE, ["Ready"], 240_000);
  const source = await admin(SOURCE);
  await source.call("PUT", "/vhosts/shop");
  await source.call("PUT", "/users/bob", { password: "bobs-old-password", tags: "monitoring" });
  await source.call("PUT", "/permissions/shop/bob", { configure: ".*", write: ".*", read: ".*" });
  await source.call("PUT", "/permissions/shop/steward-admin", { configure: ".*", write: ".*", read: ".*" });
  await source.call("PUT", "/policies/shop/cap", { pattern: "^orders", definition: { "max-length": 1000 }, "apply-to": "queues", priority: 1 });
  await source.call("PUT", "/exchanges/shop/events", { type: "topic", durable: true });
  await source.call("PUT", "/queues/shop/orders", { durable: true, arguments: { "x-queue-type": "quorum" } });
  await source.call("POST", "/bindings/shop/e/events/q/orders", { routing_key: "order.#" });
  const connection = await connect(`amqp://bob:bobs-old-password@${source.host}:5672/shop`);
  const channel = await connection.createConfirmChannel();
  channel.publish("events", "order.1", Buffer.from("a message"), { persistent: true });
  await channel.waitForConfirms();
  await connection.close();
}, 400_000);

afterAll(async () => {
  await operator?.stop();
  await removeNamespace();
  await client?.close();
});

describe("RabbitMQ definitions through DatabaseBackup and DatabaseRestore", () => {
  it("backs the definitions up to S3", async () => {
    await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name: "defs-1", namespace }, spec: { cluster: SOURCE } });
    expect(await waitPhase("DatabaseBackup", "defs-1", ["Completed", "Failed"], 180_000)).toBe("Completed");
    const backup = databaseBackup.parse(await client.get<KubeObject>(RESOURCES.DatabaseBackup, namespace, "defs-1"));
    console.log(`backup: ${JSON.stringify({ location: backup.status?.location, size: backup.status?.size, position: backup.status?.position })}`);
    expect(backup.status?.position).toContain("messages are not included");
  });

  it("restores them into a new cluster: same definitions, old passwords, new administrator, no messages", async () => {
    await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseRestore", metadata: { name: "copy-1", namespace }, spec: { source: { backup: "defs-1" }, target: { newCluster: COPY } } });
    const phase = await waitPhase("DatabaseRestore", "copy-1", ["Completed", "Failed"], 300_000);
    const restore = databaseRestore.parse(await client.get<KubeObject>(RESOURCES.DatabaseRestore, namespace, "copy-1"));
    expect(phase, JSON.stringify(restore.status)).toBe("Completed");
    expect(databaseCluster.parse(await client.get<KubeObject>(RESOURCES.DatabaseCluster, namespace, COPY)).status?.phase).toBe("Ready");

    const [source, copy] = [await admin(SOURCE), await admin(COPY)];
    expect(copy.password).not.toBe(source.password);
    const engine = new RabbitmqBackup();
    const signal = new AbortController().signal;
    expect(await engine.checksums({ endpoint: copy.endpoint, signal })).toEqual(await engine.checksums({ endpoint: source.endpoint, signal }));
    expect(await canLogIn(copy.host, "bob", "bobs-old-password", "shop")).toBe(true);
    const app = await readSecret(client, namespace, `${COPY}-conn`);
    await waitFor("the copy's application user", async () => {
      // amqps:// (TLS is on by default), verified with the Secret's CA.
      const connection = await connect(app!.uri!, { ca: [app!["ca.crt"]!] });
      await connection.close();
      return true;
    }, 60_000, 1_000);
    const queue = (await (await copy.call("GET", "/queues/shop/orders")).json()) as { type?: string; messages?: number };
    expect(queue.type).toBe("quorum");
    expect(queue.messages ?? 0).toBe(0);
  });
});
