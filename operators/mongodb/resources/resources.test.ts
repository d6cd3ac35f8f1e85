import type { V1Service, V1StatefulSet } from "@kubernetes/client-node";
import { MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import { buildConnection } from "./connection.js";
import { credentialsSecretOptions, keyfileFrom, keyfileSecretOptions, passwordsFrom } from "./credentials-secret.js";
import { buildPodDisruptionBudget } from "./pod-disruption-budget.js";
import { buildHeadlessService, buildPrimaryService, buildReplicasService } from "./services.js";
import { buildStatefulSet, defaultEngineImage } from "./statefulset.js";
import { buildOplogArchiverContainer } from "./oplog-archiver-container.js";
import { testInput } from "./test-input.js";

const build = (spec: Record<string, unknown> = {}) => buildStatefulSet({ ...testInput(spec), agentImage: "steward:test" }) as unknown as V1StatefulSet;

describe("buildStatefulSet", () => {
  const statefulSet = build({ storage: { size: "3Gi" } });
  const pod = statefulSet.spec!.template.spec!;
  const mongod = pod.containers.find((container) => container.name === "mongod")!;

  it("runs the pinned official image as a replica-set member with keyfile, auth and all interfaces", () => {
    expect(mongod.image).toBe("mongo:7.0.14");
    expect(mongod.command).toEqual(["mongod", "--replSet", "orders-db", "--keyFile", "/var/lib/steward/mongodb-keyfile/keyfile", "--auth", "--bind_ip_all", "--port", "27017", "--dbpath", "/data/db"]);
    expect(defaultEngineImage({ version: "8.0" })).toBe("mongo:8.0.4");
    expect(defaultEngineImage({ version: "8.0.3" })).toBe("mongo:8.0.3");
  });

  it("copies the keyfile Secret to a private 0400 file before mongod starts", () => {
    const init = pod.initContainers![0]!;
    expect(init.command!.join(" ")).toContain("chmod 0400 /var/lib/steward/mongodb-keyfile/keyfile");
    expect(pod.volumes!.find((volume) => volume.name === "keyfile-secret")?.secret?.secretName).toBe("orders-db-keyfile");
    expect(mongod.volumeMounts).toContainEqual({ name: "keyfile", mountPath: "/var/lib/steward/mongodb-keyfile", readOnly: true });
    expect(init.securityContext?.runAsUser).toBe(999);
  });

  it("keeps data on the claim, runs the agent beside mongod, and puts no secret in the spec", () => {
    expect(mongod.volumeMounts).toContainEqual({ name: "data", mountPath: "/data/db" });
    expect(statefulSet.spec!.volumeClaimTemplates![0]!.spec!.resources!.requests!.storage).toBe("3Gi");
    const agent = pod.containers.find((container) => container.name === "agent")!;
    expect(agent.command).toEqual(["steward", "agent", "mongodb-sidecar"]);
    expect(agent.env!.find((variable) => variable.name === "STEWARD_MONGODB_PASSWORD")?.valueFrom?.secretKeyRef).toEqual({ name: "orders-db-credentials", key: "admin" });
    expect(JSON.stringify(statefulSet)).not.toMatch(/password"\s*:\s*"[^"]/i);
  });

  it("passes Pod Security restricted in what it sets (non-root, no privilege escalation, no capabilities)", () => {
    for (const container of [...pod.initContainers!, ...pod.containers]) {
      expect(container.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    }
    expect(pod.securityContext?.seccompProfile?.type).toBe("RuntimeDefault");
    expect(statefulSet.spec).toMatchObject({ podManagementPolicy: "Parallel", updateStrategy: { type: "OnDelete" }, serviceName: "orders-db-headless", replicas: 3 });
  });
});

describe("services and budget", () => {
  it("publishes not-ready members on the headless Service and selects roles on the others", () => {
    const headless = buildHeadlessService(testInput()) as unknown as V1Service;
    expect(headless.spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true, ports: [{ port: 27017 }] });
    expect((buildPrimaryService(testInput()) as unknown as V1Service).spec!.selector).toMatchObject({ "steward.dev/role": "primary" });
    expect((buildReplicasService(testInput()) as unknown as V1Service).spec!.selector).toMatchObject({ "steward.dev/role": "replica" });
    expect(buildPodDisruptionBudget(testInput())).toBeDefined();
    expect(buildPodDisruptionBudget(testInput({ replicas: 1 }))).toBeUndefined();
  });
});

describe("secrets and connection", () => {
  it("generates passwords, a token and a 756-character keyfile from the CSPRNG", () => {
    const passwords = passwordsFrom(credentialsSecretOptions(testInput()).generate());
    expect(new Set(Object.values(passwords)).size).toBe(3);
    const keyfile = keyfileFrom(keyfileSecretOptions(testInput()).generate());
    expect(keyfile).toMatch(/^[A-Za-z0-9]{756}$/);
    expect(() => passwordsFrom({ admin: "x" })).toThrow(/lacks app, agent/);
  });

  it("gives a replica-set URI listing every member, with replicaSet, authSource and w=majority", () => {
    const connection = buildConnection(testInput({ replicas: 3 }), "p@ss/word");
    // The driver's own parser (a MongoClient parses its URI without connecting).
    const options = new MongoClient(connection.uri).options;
    expect(options.hosts.map(String)).toEqual([0, 1, 2].map((ordinal) => `orders-db-${ordinal}.orders-db-headless.shop.svc.cluster.local:27017`));
    expect(options).toMatchObject({ replicaSet: "orders-db", dbName: "orders_db", credentials: { username: "app", password: "p@ss/word", source: "orders_db" }, writeConcern: { w: "majority" } });
    expect(connection.uri).toContain("orders-db-0.orders-db-headless.shop.svc.cluster.local:27017,orders-db-1.orders-db-headless.shop.svc.cluster.local:27017,orders-db-2.orders-db-headless.shop.svc.cluster.local:27017/orders_db?");
    expect(connection.uri).toContain("app:p%40ss%2Fword@");
    const query = new URLSearchParams(connection.uri.split("?")[1]);
    expect(Object.fromEntries(query)).toEqual({ replicaSet: "orders-db", authSource: "orders_db", w: "majority" });
    expect(connection).toMatchObject({ host: "orders-db-primary.shop.svc", port: 27017, database: "orders_db", username: "app" });
  });

  it("leaves the write concern to the server when data loss is allowed", () => {
    const connection = buildConnection(testInput({ failover: { delaySeconds: 5, dataLoss: "allowed" } }), "pw");
    expect(connection.uri).not.toContain("w=majority");
  });
});

describe("buildOplogArchiverContainer", () => {
  it("runs the MongoDB archiver with the storage Secret and the admin password by reference", () => {
    const input = testInput({ backup: { storage: "s3", pointInTime: { enabled: true } } });
    const container = buildOplogArchiverContainer(input.cluster, input.spec, "steward:test");
    expect(container.command).toEqual(["steward", "agent", "mongodb-oplog-archiver"]);
    expect(container.args).toEqual(["--namespace", "shop", "--cluster", "orders-db", "--compression", "zstd", "--max-slice-age", "10s"]);
    expect(container.envFrom).toEqual([{ secretRef: { name: "orders-db-backup-storage" } }]);
    expect(container.env!.find((variable) => variable.name === "STEWARD_DB_PASSWORD")?.valueFrom?.secretKeyRef).toEqual({ name: "orders-db-credentials", key: "admin" });
    const pod = (buildStatefulSet({ ...input, agentImage: "steward:test", extraContainers: [container] }) as unknown as V1StatefulSet).spec!.template.spec!;
    expect(pod.containers.map((candidate) => candidate.name)).toEqual(["mongod", "agent", "oplog-archiver"]);
  });
});

describe("a cluster made from a backup (spec.bootstrap)", () => {
  it("gives the agent the bootstrap Secret, and only then", () => {
    const agentOf = (spec: Record<string, unknown>) => build(spec).spec!.template.spec!.containers.find((container) => container.name === "agent")!;
    expect(agentOf({ bootstrap: { source: { backup: "orders-b1" } } }).envFrom).toEqual([{ secretRef: { name: "orders-db-bootstrap" } }]);
    expect(agentOf({}).envFrom).toBeUndefined();
  });
});
