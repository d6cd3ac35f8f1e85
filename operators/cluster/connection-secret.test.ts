import { describe, expect, it } from "vitest";
import type { DatabaseCluster } from "../../shared/api/index.js";
import { buildConnectionSecret } from "./connection-secret.js";

const cluster: DatabaseCluster = {
  apiVersion: "steward.dev/v1alpha1",
  kind: "DatabaseCluster",
  metadata: { name: "orders", namespace: "shop", uid: "u-1" },
  spec: { engine: "mysql", flavor: "mariadb", replicas: 3, storage: { size: "1Gi" }, failover: { delaySeconds: 5, dataLoss: "none" }, tls: { enabled: true, required: false }, paused: false, allowScaleDown: false, deletionPolicy: "RetainData" },
};

const decode = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, "base64").toString()]));

describe("the connection Secret", () => {
  it("holds host, port, username, password, uri, database and the read-only host, owned by the cluster", () => {
    const secret = buildConnectionSecret(cluster, { host: "orders-primary.shop.svc", readOnlyHost: "orders-replicas.shop.svc", port: 3306, username: "app", password: "p@ss", database: "orders", uri: "mysql://app:p%40ss@orders-primary.shop.svc:3306/orders" });
    expect(secret.metadata).toMatchObject({ name: "orders-conn", namespace: "shop", labels: { "steward.dev/cluster": "orders", "steward.dev/component": "connection" } });
    expect(secret.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "DatabaseCluster", name: "orders", uid: "u-1", controller: true })]);
    expect(decode(secret.data as Record<string, string>)).toEqual({
      host: "orders-primary.shop.svc",
      readOnlyHost: "orders-replicas.shop.svc",
      port: "3306",
      username: "app",
      password: "p@ss",
      database: "orders",
      uri: "mysql://app:p%40ss@orders-primary.shop.svc:3306/orders",
    });
  });

  it("leaves out database and readOnlyHost when the engine has none", () => {
    const secret = buildConnectionSecret({ ...cluster, spec: { ...cluster.spec, engine: "rabbitmq", flavor: undefined } }, { host: "events.shop.svc", port: 5672, username: "app", password: "x", uri: "amqp://app:x@events.shop.svc:5672/" });
    expect(Object.keys(secret.data as Record<string, string>).sort()).toEqual(["host", "password", "port", "uri", "username"]);
  });
});
