import { describe, expect, it } from "vitest";
import { parseQuantity } from "./downward.js";
import { expandReferences, serviceLinkEnv } from "./env.js";

describe("container environment", () => {
  it("expands $(VAR) from what came before, leaves unknown references and unescapes $$", () => {
    const env = { POD_NAME: "rmq-0", NS: "shop" };
    expect(expandReferences("rabbit@$(POD_NAME).rmq.$(NS).svc", env)).toBe("rabbit@rmq-0.rmq.shop.svc");
    expect(expandReferences("$(MISSING)/$$(POD_NAME)", env)).toBe("$(MISSING)/$(POD_NAME)");
  });

  it("links Services with a ClusterIP the Docker way", () => {
    const env = serviceLinkEnv([{ metadata: { name: "orders-primary" }, spec: { clusterIP: "10.96.3.9", ports: [{ name: "mysql", port: 3306 }] } }, { metadata: { name: "headless" }, spec: { clusterIP: "None", ports: [{ port: 1 }] } }]);
    expect(env).toMatchObject({ ORDERS_PRIMARY_SERVICE_HOST: "10.96.3.9", ORDERS_PRIMARY_SERVICE_PORT: "3306", ORDERS_PRIMARY_SERVICE_PORT_MYSQL: "3306", ORDERS_PRIMARY_PORT: "tcp://10.96.3.9:3306" });
    expect(Object.keys(env).some((key) => key.startsWith("HEADLESS"))).toBe(false);
  });

  it("reads resource quantities", () => {
    expect(parseQuantity("500m")).toBeCloseTo(0.5);
    expect(parseQuantity("1Gi")).toBe(1024 ** 3);
    expect(parseQuantity("2e3")).toBe(2000);
    expect(() => parseQuantity("1 GB")).toThrow(/quantity/);
  });
});
