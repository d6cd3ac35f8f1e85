import { afterEach, describe, expect, it } from "vitest";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ReplicaSetSimulator } from "../../../test/simulator/mongodb-replset-simulator.js";
import { startMongodbSidecar } from "./sidecar.js";

/** The sidecar's HTTP side, its bootstrap run against the replica-set simulator (no mongod runs here). */
describe("mongodb-sidecar bootstrap endpoint (simulator)", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function start(podName: string, sim: ReplicaSetSimulator) {
    server = await startMongodbSidecar({
      token: "agent-token",
      port: 0,
      host: "127.0.0.1",
      podName,
      memberHost: sim.hostOf(podName),
      replicaSet: "db",
      admin: { user: "steward", password: "admin-password" },
      connectLocal: async () => sim.connect(podName, { localhost: true }),
      log: () => undefined,
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("needs the token, initiates the set once and creates the admin", async () => {
    const sim = new ReplicaSetSimulator("db", ["db-0", "db-1"], (pod) => `${pod}.db-headless.shop.svc.cluster.local:27017`);
    const url = await start("db-0", sim);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/v1/mongodb/bootstrap`, { method: "POST" })).status).toBe(401);
    const first = await fetch(`${url}/v1/mongodb/bootstrap`, { method: "POST", headers: { authorization: "Bearer agent-token" } });
    expect(await first.text()).toBe("adminCreated\n");
    const again = await fetch(`${url}/v1/mongodb/bootstrap`, { method: "POST", headers: { authorization: "Bearer agent-token" } });
    expect(await again.text()).toBe("alreadyDone\n");
    expect(sim.primary).toBe("db-0");
  });

  it("refuses on any pod but the first", async () => {
    const sim = new ReplicaSetSimulator("db", ["db-0", "db-1"], (pod) => `${pod}:27017`);
    const url = await start("db-1", sim);
    const response = await fetch(`${url}/v1/mongodb/bootstrap`, { method: "POST", headers: { authorization: "Bearer agent-token" } });
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("not the first member");
    expect(sim.config).toBeUndefined();
  });
});
