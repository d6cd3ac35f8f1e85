import { describe, expect, it } from "vitest";
import { testCluster } from "../test-cluster.js";
import { buildBootstrapContainer } from "./bootstrap-restore.js";
import { rabbitmqJobTarget } from "./job-target.js";

describe("rabbitmqJobTarget", () => {
  it("reaches the management API through the client Service as the administrator, the password by reference, over HTTPS with the cluster's CA", () => {
    const target = rabbitmqJobTarget(testCluster().cluster);
    expect(target.args).toEqual(["--engine", "rabbitmq", "--host", "orders.shop.svc", "--port", "15671"]);
    expect(target.env).toEqual([
      { name: "STEWARD_DB_USER", value: "steward-admin" },
      { name: "STEWARD_DB_PASSWORD", valueFrom: { secretKeyRef: { name: "orders-credentials", key: "admin-password" } } },
      { name: "STEWARD_TLS_CA", valueFrom: { secretKeyRef: { name: "orders-tls", key: "ca.crt" } } },
    ]);
  });

  it("uses plain HTTP when spec.tls.enabled is false", () => {
    const target = rabbitmqJobTarget(testCluster({ tls: { enabled: false, required: false } }).cluster);
    expect(target.args.at(-1)).toBe("15672");
    expect(target.env?.map((e) => e.name)).toEqual(["STEWARD_DB_USER", "STEWARD_DB_PASSWORD"]);
  });
});

describe("buildBootstrapContainer", () => {
  it("writes the definitions onto the node's volume with the bootstrap Secret's storage and the new admin password", () => {
    const container = buildBootstrapContainer(testCluster().cluster, "steward:1");
    expect(container.command).toEqual(["steward", "agent", "rabbitmq-bootstrap"]);
    expect(container.envFrom).toEqual([{ secretRef: { name: "orders-bootstrap" } }]);
    expect(container.volumeMounts).toEqual([{ name: "data", mountPath: "/var/lib/rabbitmq/mnesia" }]);
    expect(container.env?.find((e) => e.name === "RABBITMQ_NODENAME")?.value).toBe("rabbit@$(POD_NAME).orders-headless.shop.svc.cluster.local");
  });
});
