/**
 * The RabbitMQ definitions backup against real rabbitmq-server nodes:
 * given a cluster with users, vhosts, permissions, a policy, an exchange, a quorum queue and a
 * binding (and a message in the queue), when its definitions are dumped and loaded into a new
 * cluster, online or at the new node's first boot, then every section's checksum is equal, the
 * users log in with their old passwords, the new cluster's administrator keeps its own, and the
 * queue is there, empty: messages are not part of a backup.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { connect } from "amqplib";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEndpoint } from "../../backup/engine-backup.js";
import { RabbitmqBackup, RESTORE_FILE } from "../../operators/rabbitmq/backup/rabbitmq-backup.js";
import { ADMIN_USER } from "../../operators/rabbitmq/names.js";
import { RabbitFixture } from "../fixtures/rabbitmq.js";

const log = pino({ level: "silent" });
const engine = new RabbitmqBackup();
const signal = new AbortController().signal;
let source: RabbitFixture;
let target: RabbitFixture | undefined;
let dataDir = "";

const endpoint = (fixture: RabbitFixture): EngineEndpoint => ({ host: fixture.nodes[0]!.ip, port: 15672, username: ADMIN_USER, password: fixture.adminPassword, options: { excludeUsers: "app" } });

async function api(fixture: RabbitFixture, method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${fixture.nodes[0]!.managementUrl}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${ADMIN_USER}:${fixture.adminPassword}`).toString("base64")}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
}

async function dumpBytes(): Promise<Buffer> {
  const handle = await engine.dump({ endpoint: endpoint(source), method: "logical", signal, log });
  const chunks: Buffer[] = [];
  for await (const chunk of handle.stream) chunks.push(chunk as Buffer);
  await handle.done;
  expect(handle.extension).toBe(".json");
  expect(handle.position().summary).toContain("messages are not included");
  return Buffer.concat(chunks);
}

async function canLogIn(fixture: RabbitFixture, user: string, password: string, vhost = "shop"): Promise<boolean> {
  try {
    const connection = await connect(fixture.nodes[0]!.amqpUrl(user, password, vhost));
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  source = await RabbitFixture.start({ name: "src", nodes: 1 });
  await api(source, "PUT", "/vhosts/shop");
  await api(source, "PUT", "/users/bob", { password: "bob-old-password", tags: "monitoring" });
  await api(source, "PUT", "/users/app", { password: "app-old-password", tags: "management" });
  await api(source, "PUT", "/permissions/shop/bob", { configure: ".*", write: ".*", read: ".*" });
  await api(source, "PUT", "/permissions/shop/steward-admin", { configure: ".*", write: ".*", read: ".*" });
  await api(source, "PUT", "/policies/shop/cap", { pattern: "^orders", definition: { "max-length": 1000 }, "apply-to": "queues", priority: 1 });
  await api(source, "PUT", "/exchanges/shop/events", { type: "topic", durable: true });
  await api(source, "PUT", "/queues/shop/orders", { durable: true, arguments: { "x-queue-type": "quorum" } });
  await api(source, "POST", "/bindings/shop/e/events/q/orders", { routing_key: "order.#" });
  const connection = await connect(source.nodes[0]!.amqpUrl(ADMIN_USER, source.adminPassword, "shop"));
  const channel = await connection.createConfirmChannel();
  channel.publish("events", "order.1", Buffer.from("a message"), { persistent: true });
  await channel.waitForConfirms();
  await connection.close();
}, 300_000);

afterAll(() => {
  source?.stop();
  target?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("RabbitMQ definitions backup", () => {
  it("identifies the server", async () => {
    expect(await engine.identify(endpoint(source), signal)).toEqual({ engine: "rabbitmq", version: expect.stringMatching(/^3\.10\./) });
  });

  it("restores online into a new cluster: same definitions, old passwords work, no messages", async () => {
    const bytes = await dumpBytes();
    target = await RabbitFixture.start({ name: "online", nodes: 1 });
    await engine.load(Readable.from([bytes]), { endpoint: endpoint(target), signal, log });
    expect(await engine.checksums({ endpoint: endpoint(target), signal })).toEqual(await engine.checksums({ endpoint: endpoint(source), signal }));
    expect(await canLogIn(target, "bob", "bob-old-password")).toBe(true);
    expect(await canLogIn(target, "bob", "wrong")).toBe(false);
    expect(await canLogIn(target, ADMIN_USER, target.adminPassword, "/")).toBe(true);
    const queues = await target.management(0).queues();
    expect(queues.find((q) => q.name === "orders")).toMatchObject({ vhost: "shop", type: "quorum", messages: 0 });
    // The source still holds its message (queue totals follow the 5 s statistics interval).
    const deadline = Date.now() + 20_000;
    while ((await source.management(0).queues()).find((q) => q.name === "orders")?.messages !== 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await source.management(0).queues()).find((q) => q.name === "orders")?.messages).toBe(1);

    // In place: what the target gained since is removed, so it equals the backup again.
    await api(target, "PUT", "/vhosts/scratch");
    await api(target, "PUT", "/users/eve", { password: "x", tags: "" });
    await api(target, "PUT", "/queues/shop/extra", { durable: true });
    await engine.load(Readable.from([bytes]), { endpoint: endpoint(target), replaceExisting: true, signal, log });
    expect(await engine.checksums({ endpoint: endpoint(target), signal })).toEqual(await engine.checksums({ endpoint: endpoint(source), signal }));
    target.stop();
    target = undefined;
  });

  it("restores at a new node's first boot, with the new cluster's administrator", async () => {
    const bytes = await dumpBytes();
    dataDir = mkdtempSync(join(tmpdir(), "rmq-restore-"));
    const adminPassword = "the-new-clusters-admin";
    await engine.load(Readable.from([bytes]), { dataDir, endpoint: { host: "", port: 0, username: ADMIN_USER, password: adminPassword }, signal, log });
    target = await RabbitFixture.start({ name: "boot", nodes: 1, adminPassword, loadDefinitions: join(dataDir, RESTORE_FILE) });
    expect(await canLogIn(target, ADMIN_USER, adminPassword, "/")).toBe(true);
    expect(await canLogIn(target, "bob", "bob-old-password")).toBe(true);
    expect(await engine.checksums({ endpoint: endpoint(target), signal })).toEqual(await engine.checksums({ endpoint: endpoint(source), signal }));
  });
});
