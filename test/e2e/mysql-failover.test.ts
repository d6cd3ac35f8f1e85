/**
 * The MySQL engine (MariaDB 10.11 flavour) end to end on the local cluster: real kube-apiserver,
 * StatefulSet controller, process runtime, real mariadbd pods with the steward agent; the
 * operator runs in this process. Runbook:
 * - given one DatabaseCluster `engine: mysql, flavor: mariadb, replicas: 3`, it becomes Ready;
 *   a client that knows only the connection Secret writes through `<name>-primary` and reads
 *   the write back through `<name>-replicas`;
 * - given continuous writes where every acknowledged id is recorded, when the primary's
 *   mariadbd is SIGKILLed (three times in a row), then a new primary serves behind the primary
 *   Service, every acknowledged id is there, the Service never selected two pods, and the old
 *   pod rejoins as a replica;
 * - given the same load, when a DBA runs `steward switchover orders --to <pod>`, the primary
 *   moves, writes pause about a second at most, and nothing acknowledged is lost;
 * - on the three-node local cluster its pods run on three different nodes (preferred
 *   anti-affinity), and when the primary's node stops (a crashed machine: processes killed,
 *   heartbeats gone) a replica on a live node takes over without waiting for Kubernetes to
 *   evict anything, no acknowledged write is lost, the cluster says in words that the old pod
 *   is on a lost node and is left there (nodeLoss wait, the default), and when the node
 *   starts again the old primary rejoins as a replica; the same when the node is isolated
 *   (processes alive, links and heartbeats cut) and then restored.
 * - given the same load, when the primary's network is cut for 8 s (process alive), then a
 *   replica takes over, no two pods ever accept a write at once (sampled every 100 ms from
 *   outside), and the old primary rejoins as a replica when the link returns.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ANNOTATIONS } from "../../shared/api/index.js";
import { RESOURCES } from "../../shared/k8s/client.js";
import { readSecret } from "../../shared/secrets.js";
import { switchoverCommand } from "../../cli/switchover.js";
import { createCertificateAuthority } from "../../shared/tls/certificates.js";
import { createConnection } from "mysql2/promise";
import { apply, clients, restrictedNamespace, runtime } from "./local-fixtures.js";
import { killPrimaryAndWait, readCluster, watchPrimaryService, type Connection } from "./cluster-fixtures.js";
import { CHAOS_ENGINES } from "../chaos/engines.js";
import { startDoublePrimarySampler } from "../chaos/sampler.js";
import { connect, createIdsTable, missingIds, startWriter, waitForReady, provisionMariadbCluster, type ProvisionedCluster, type MysqlOperator } from "./mysql-fixtures.js";

const NAME = "orders";
let namespace = "";
let operator: MysqlOperator;
let connection: Connection;
let provisioned: ProvisionedCluster | undefined;

beforeAll(async () => {
  provisioned = await provisionMariadbCluster(inject("kubeconfig"), restrictedNamespace, apply, "mysql", NAME, { tls: { required: true } });
  ({ namespace, operator, connection } = provisioned);
  await createIdsTable(connection);
}, 300_000);

/** A statement as root on one pod, through its StatefulSet DNS name, verifying its certificate. */
async function asRoot(pod: string, password: string, sql: string): Promise<Record<string, unknown>[]> {
  const session = await createConnection({ host: `${pod}.${NAME}-headless.${namespace}.svc.cluster.local`, port: 3306, user: "root", password, ssl: { ca: connection.ca, rejectUnauthorized: true }, connectTimeout: 2000 });
  try {
    return (await session.query(sql))[0] as Record<string, unknown>[];
  } finally {
    session.destroy();
  }
}

afterAll(async () => {
  await provisioned?.remove();
});

describe("given a 3-node MariaDB cluster on the local cluster", () => {
  it("is Ready, and a client with only the connection Secret writes through the primary Service and reads through the replicas Service", async () => {
    const cluster = (await readCluster(operator.client, namespace, NAME))!;
    expect(cluster.status?.endpoints).toEqual({ primary: `${NAME}-primary.${namespace}.svc:3306`, readOnly: `${NAME}-replicas.${namespace}.svc:3306` });
    expect(cluster.status?.instances?.map((instance) => instance.role).sort()).toEqual(["primary", "replica", "replica"]);
    expect(connection.host).toBe(`${NAME}-primary.${namespace}.svc`);
    expect(connection.uri).toMatch(new RegExp(`^mysql://app:[A-Za-z0-9]+@${NAME}-primary\\.${namespace}\\.svc:3306/orders\\?ssl-mode=VERIFY_IDENTITY$`));

    const writer = await connect(connection);
    await writer.query("CREATE TABLE IF NOT EXISTS greetings (id INT PRIMARY KEY, text VARCHAR(64))");
    await writer.query("REPLACE INTO greetings VALUES (1, 'hello from the primary Service')");
    writer.destroy();

    const [readHost] = cluster.status!.endpoints!.readOnly!.split(":");
    let seen: unknown;
    for (let attempt = 0; attempt < 50 && !seen; attempt++) {
      const reader = await connect(connection, readHost);
      const [rows] = await reader.query("SELECT text FROM greetings WHERE id = 1");
      seen = (rows as { text: string }[])[0]?.text;
      await expect(reader.query("INSERT INTO greetings VALUES (2, 'nope')")).rejects.toThrow(/read-only|READ.ONLY/i);
      reader.destroy();
      if (!seen) await sleep(100);
    }
    expect(seen).toBe("hello from the primary Service");

    // No password in the status, the pod template or the events.
    const credentials = (await readSecret(operator.client, namespace, `${NAME}-credentials`))!;
    const visible = JSON.stringify([cluster.status, (await operator.client.list(RESOURCES.StatefulSet, namespace)).items, (await operator.client.list(RESOURCES.Event, namespace)).items]);
    for (const password of Object.values(credentials)) expect(visible).not.toContain(password);
  });

  it("serves only TLS: the Secret's ca.crt verifies the server, plaintext and a foreign CA are refused, and replicas stream over verified TLS", async () => {
    expect(connection.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const client = await connect(connection);
    const [cipher] = (await client.query("SHOW SESSION STATUS LIKE 'Ssl_version'"))[0] as { Value: string }[];
    expect(cipher?.Value).toMatch(/^TLSv1\.[23]$/);
    client.destroy();
    // Plaintext: refused by require_secure_transport (error 3159 / 1045 depending on the client's order).
    await expect(connect({ ...connection, ca: undefined })).rejects.toThrow(/insecure transport|secure transport|Access denied/i);
    // A server certificate the client's CA did not sign is refused by the client.
    const foreign = await createCertificateAuthority("not the cluster's CA", new Date());
    await expect(connect({ ...connection, ca: foreign.certPem })).rejects.toThrow(/self-signed|unable to verify|certificate/i);

    const cluster = (await readCluster(operator.client, namespace, NAME))!;
    expect(cluster.status?.tls).toMatchObject({ secretName: `${NAME}-tls`, issuer: "operator-ca" });
    expect(new Date(cluster.status!.tls!.notAfter!).getTime()).toBeGreaterThan(Date.now() + 80 * 86_400_000);
    expect(cluster.status?.conditions?.find((condition) => condition.type === "TLS")).toMatchObject({ status: "True", reason: "CertificateValid" });
    // What the engine itself says about each replica's link to the primary.
    const root = (await readSecret(operator.client, namespace, `${NAME}-credentials`))!.root!;
    for (const instance of cluster.status!.instances!.filter((each) => each.role === "replica")) {
      const rows = await asRoot(instance.name, root, "SHOW SLAVE STATUS");
      expect(rows[0]).toMatchObject({ Slave_IO_Running: "Yes", Master_SSL_Allowed: "Yes", Master_SSL_Verify_Server_Cert: "Yes", Master_SSL_CA_File: "/etc/steward/tls/ca.crt" });
    }
  });

  it("renews its certificate on request under write load: every instance presents the new one without a restart, a failover or a lost write", async () => {
    const before = (await readCluster(operator.client, namespace, NAME))!;
    const root = (await readSecret(operator.client, namespace, `${NAME}-credentials`))!.root!;
    const podUids = async () => (await operator.client.list(RESOURCES.Pod, namespace, { labelSelector: `steward.dev/cluster=${NAME}` })).items.map((pod) => `${pod.metadata.name}/${pod.metadata.uid}`).sort();
    const podsBefore = await podUids();
    await createIdsTable(connection, "rotate_ids");
    const writer = startWriter(connection, "rotate_ids");
    let renewed = "";
    try {
      await sleep(1000);
      await operator.client.mergePatch(RESOURCES.DatabaseCluster, namespace, NAME, { metadata: { annotations: { [ANNOTATIONS.rotateTls]: "e2e-1" } } });
      const deadline = Date.now() + 150_000;
      for (;;) {
        renewed = (await readCluster(operator.client, namespace, NAME))!.status?.tls?.notAfter ?? "";
        if (renewed && renewed !== before.status!.tls!.notAfter) {
          // Every server presents it to new sessions: the expiry each one reports.
          const served = await Promise.all([0, 1, 2].map(async (ordinal) => String((await asRoot(`${NAME}-${ordinal}`, root, "SHOW GLOBAL STATUS LIKE 'Ssl_server_not_after'"))[0]?.Value)));
          if (served.every((value) => Math.abs(new Date(value).getTime() - new Date(renewed).getTime()) < 1000)) break;
        }
        if (Date.now() > deadline) throw new Error(`the renewed certificate (${renewed}) was not presented by every instance in time`);
        await sleep(1000);
      }
      await sleep(500);
    } finally {
      await writer.stop();
    }
    const after = (await readCluster(operator.client, namespace, NAME))!;
    expect(after.status?.currentPrimary).toBe(before.status?.currentPrimary);
    expect(after.status?.lastFailover).toEqual(before.status?.lastFailover);
    expect(await podUids()).toEqual(podsBefore);
    const ids = writer.acknowledged.map((entry) => entry.id);
    expect(ids.length).toBeGreaterThan(20);
    expect(await missingIds(connection, ids, "rotate_ids")).toEqual([]);
    // New sessions verify against the same ca.crt the application already has.
    const client = await connect(connection);
    client.destroy();
    console.log(`certificate renewed (now valid until ${renewed}) under ${ids.length} acknowledged writes, none lost; ${writer.errors()} failed attempts`);
  });

  it("keeps every acknowledged write through three SIGKILLs of the primary, never with two primaries behind the Service, and the old pods rejoin", async () => {
    const writer = startWriter(connection);
    const watcher = watchPrimaryService(operator.client, namespace, NAME);
    const rounds: string[] = [];
    try {
      await sleep(1500);
      for (let round = 1; round <= 3; round++) {
        const result = await killPrimaryAndWait(operator.client, namespace, NAME, writer, (pod) => runtime().crashContainer({ namespace, pod, container: "database" }));
        rounds.push(`round ${round}: killed ${result.killed}, ${result.promoted} took over; first acknowledged write after ${(result.failoverMs / 1000).toFixed(2)} s`);
        console.log(rounds.at(-1));
        const ready = await waitForReady(operator.client, namespace, NAME, 3, 180_000);
        const old = ready.status!.instances!.find((instance) => instance.name === result.killed)!;
        expect(old.role).toBe("replica");
        expect(ready.status?.lastFailover).toMatchObject({ from: result.killed, to: result.promoted });
      }
      await sleep(500);
    } finally {
      await writer.stop();
    }
    const seen = await watcher.stop();
    const ids = writer.acknowledged.map((entry) => entry.id);
    expect(ids.length).toBeGreaterThan(100);
    expect(await missingIds(connection, ids)).toEqual([]);
    expect(seen.maxLabelled).toBe(1);
    expect(seen.maxEndpoints).toBeLessThanOrEqual(1);
    const events = (await operator.client.list<{ note?: string; reason?: string } & import("../../shared/k8s/client.js").KubeObject>(RESOURCES.Event, namespace)).items;
    expect(events.some((event) => event.reason === "FailedOver" && /^Promoted orders-\d to primary after orders-\d was unreachable for/.test(event.note ?? ""))).toBe(true);
    console.log(`${ids.length} acknowledged writes, none lost; ${writer.errors()} failed attempts; ${rounds.join("; ")}`);
  });

  it("switches over on request with a short write pause and no acknowledged write lost", async () => {
    const before = (await readCluster(operator.client, namespace, NAME))!.status!.currentPrimary!;
    const target = [0, 1, 2].map((ordinal) => `${NAME}-${ordinal}`).find((pod) => pod !== before)!;
    await createIdsTable(connection, "switch_ids");
    const writer = startWriter(connection, "switch_ids");
    const watcher = watchPrimaryService(operator.client, namespace, NAME);
    let requested: number;
    try {
      await sleep(1500);
      requested = Date.now();
      // What a DBA runs: `kubectl steward switchover orders --to <pod>` (it sets the annotation and follows the result).
      const cli = switchoverCommand().parseAsync(["node", "steward", NAME, "--to", target, "-n", namespace, "--kubeconfig", inject("kubeconfig")], { from: "node" });
      const deadline = Date.now() + 60_000;
      for (;;) {
        const cluster = (await readCluster(operator.client, namespace, NAME))!;
        if (cluster.status?.currentPrimary === target && !cluster.metadata.annotations?.[ANNOTATIONS.switchover] && writer.firstAckAfter(Date.now() - 100)) break;
        if (Date.now() > deadline) throw new Error(`no switchover to ${target}: ${JSON.stringify(cluster.status?.lastSwitchover)}`);
        await sleep(50);
      }
      await cli;
      await sleep(1000);
    } finally {
      await writer.stop();
    }
    const seen = await watcher.stop();
    const cluster = (await readCluster(operator.client, namespace, NAME))!;
    expect(cluster.status?.lastSwitchover).toMatchObject({ request: target, to: target });
    const pause = writer.longestGap(requested, Date.now());
    console.log(`switchover ${before} -> ${target}: ${cluster.status?.lastSwitchover?.result}; longest pause between acknowledged writes ${pause} ms`);
    expect(await missingIds(connection, writer.acknowledged.map((entry) => entry.id), "switch_ids")).toEqual([]);
    expect(seen.maxLabelled).toBe(1);
    expect(pause).toBeLessThan(3000);
    await waitForReady(operator.client, namespace, NAME, 3, 120_000);
  });

  it("when the primary's network is cut, a replica takes over, never two pods accept writes, and the old primary rejoins as a replica when the link returns", async () => {
    await waitForReady(operator.client, namespace, NAME, 3, 180_000);
    await CHAOS_ENGINES.mariadb.prepare(connection);
    // From outside, every 100 ms, a real write on every pod at its own address.
    const sampler = startDoublePrimarySampler(operator.client, namespace, NAME, CHAOS_ENGINES.mariadb, connection);
    const writer = startWriter(connection);
    await sleep(1500);
    const old = (await readCluster(operator.client, namespace, NAME))!.status!.currentPrimary!;
    await runtime().setNetwork({ namespace, pod: old, state: "cut" });
    const cutAt = Date.now();
    let resumedAt: number | undefined;
    try {
      for (const deadline = Date.now() + 60_000; !resumedAt && Date.now() < deadline; await sleep(50)) resumedAt = writer.firstAckAfter(cutAt);
      await sleep(Math.max(0, cutAt + 8_000 - Date.now()));
    } finally {
      await runtime().setNetwork({ namespace, pod: old, state: "restore" });
    }
    // Before the fix this waited for ever: the fence's read_only=1 queued behind a commit waiting
    // for a semi-sync ACK, and the operator's session with it.
    const ready = await waitForReady(operator.client, namespace, NAME, 3, 180_000);
    await sleep(1_000);
    await writer.stop();
    const sampled = await sampler.stop();
    console.log(`cut ${old}: writes resumed ${resumedAt ? ((resumedAt - cutAt) / 1000).toFixed(2) : "never"} s after the cut on ${ready.status?.currentPrimary}; ${sampled.samples} samples, ${sampled.doublePrimarySamples} with two pods accepting writes`);
    expect(resumedAt).toBeDefined();
    expect(ready.status?.currentPrimary).not.toBe(old);
    expect(ready.status?.instances?.find((instance) => instance.name === old)?.role).toBe("replica");
    expect(sampled.samples).toBeGreaterThan(50);
    expect(sampled.doubles).toEqual([]);
    expect(await missingIds(connection, writer.acknowledged.map((entry) => entry.id))).toEqual([]);
  });

  it("runs its three pods on three different nodes", async () => {
    const pods = await Promise.all([0, 1, 2].map((ordinal) => clients().core.readNamespacedPod({ name: `${NAME}-${ordinal}`, namespace })));
    const nodes = pods.map((pod) => pod.spec?.nodeName);
    console.log(`pods on nodes: ${nodes.join(", ")}`);
    expect(nodes.every((node) => node && inject("nodeNames").includes(node))).toBe(true);
    expect(new Set(nodes).size).toBe(3);
  });

  it.each([
    { fault: "stop", back: "start" },
    { fault: "isolate", back: "restore" },
  ] as const)("fails over to a live node when the primary's node is lost ($fault), loses no acknowledged write, and takes the old primary back as a replica after $back", async ({ fault, back }) => {
    const before = (await readCluster(operator.client, namespace, NAME))!.status!.currentPrimary!;
    const lostPod = await clients().core.readNamespacedPod({ name: before, namespace });
    const lost = lostPod.spec!.nodeName!;
    const table = `node_${fault}_ids`;
    await createIdsTable(connection, table);
    const writer = startWriter(connection, table);
    const watcher = watchPrimaryService(operator.client, namespace, NAME);
    let degraded: string | undefined;
    try {
      await sleep(1500);
      const result = await killPrimaryAndWait(operator.client, namespace, NAME, writer, () => runtime().setNode({ node: lost, state: fault }));
      console.log(`node ${lost} of primary ${result.killed}: ${fault}; ${result.promoted} took over; first acknowledged write after ${(result.failoverMs / 1000).toFixed(2)} s`);
      // The words come once the node controller has marked the node (its grace period, 20 s here).
      const deadline = Date.now() + 60_000;
      while (!degraded) {
        const cluster = (await readCluster(operator.client, namespace, NAME))!;
        const condition = cluster.status?.conditions?.find((c) => c.type === "Degraded");
        if (condition?.status === "True" && condition.message.includes(`${before} is on node ${lost}, which is lost`)) degraded = condition.message;
        else if (Date.now() > deadline) throw new Error(`no Degraded condition naming the lost node: ${JSON.stringify(cluster.status?.conditions)}`);
        else await sleep(500);
      }
      console.log(`Degraded: ${degraded}`);
      expect(degraded).toMatch(/Steward leaves the pod until the node returns/);
      // nodeLoss wait (the default): the pod is left where it is.
      expect((await clients().core.readNamespacedPod({ name: before, namespace })).metadata?.uid).toBe(lostPod.metadata?.uid);
      await sleep(1000);
    } finally {
      await runtime().setNode({ node: lost, state: back });
    }
    try {
      // Writes go on while the old primary returns (isolate: still running, still writable until fenced).
      const ready = await waitForReady(operator.client, namespace, NAME, 3, 180_000);
      expect(ready.status!.instances!.find((instance) => instance.name === before)?.role).toBe("replica");
      await sleep(1000);
    } finally {
      await writer.stop();
    }
    const seen = await watcher.stop();
    const ids = writer.acknowledged.map((entry) => entry.id);
    expect(ids.length).toBeGreaterThan(100);
    expect(await missingIds(connection, ids, table)).toEqual([]);
    // Never two primaries behind the Service, including when the isolated one came back.
    expect(seen.maxLabelled).toBe(1);
    expect(seen.maxEndpoints).toBeLessThanOrEqual(1);
    console.log(`${ids.length} acknowledged writes through the node loss (${fault}/${back}), none lost`);
  });
});
