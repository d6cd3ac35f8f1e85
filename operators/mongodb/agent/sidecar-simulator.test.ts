import { afterEach, describe, expect, it } from "vitest";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ReplicaSetSimulator } from "../../../test/simulator/mongodb-replset-simulator.js";
import { startMongodbSidecar } from "./sidecar.js";

/** The sidecar's HTTP side, its bootstrap run against the replica-set simulator (no mongod runs here). */
describe("mongodb-sidecar bootstrap endpoint (simulator)", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function start(podName: string, sim: ReplicaSetSimulator, restore?: () => Promise<string>) {
    server = await startMongodbSidecar({
      token: "agent-token",
      port: 0,
      host: "127.0.0.1",
      podName,
      memberHost: sim.hostOf(podName),
      replicaSet: "db",
      admin: { user: "steward", password: "admin-password" },
      connectLocal: async () => sim.connect(podName, { localhost: true }),
      restore,
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

  it("loads a backup only after the set is initiated with the first member alone and the admin exists, and retries a failed load", async () => {
    const sim = new ReplicaSetSimulator("db", ["db-0", "db-1", "db-2"], (pod) => `${pod}.db-headless.shop.svc.cluster.local:27017`);
    const seen: { members: number; primary?: string; admin: boolean }[] = [];
    let finish: (text: string) => void = () => undefined;
    let fail: (error: Error) => void = () => undefined;
    const restore = () =>
      new Promise<string>((resolve, reject) => {
        seen.push({ members: sim.config?.members.length ?? 0, primary: sim.primary, admin: sim.users.has("admin.steward") });
        finish = resolve;
        fail = reject;
      });
    const url = await start("db-0", sim, restore);
    const ask = async () => {
      const response = await fetch(`${url}/v1/mongodb/bootstrap`, { method: "POST", headers: { authorization: "Bearer agent-token" } });
      return [response.status, (await response.text()).trim()] as const;
    };
    expect(await ask()).toEqual([202, "restoring the backup"]);
    expect(seen).toEqual([{ members: 1, primary: "db-0", admin: true }]);
    // Asked again while it runs: no second load.
    expect(await ask()).toEqual([202, "restoring the backup"]);
    expect(seen).toHaveLength(1);
    fail(new Error("S3 GetObject failed: HTTP 503"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const [status, text] = await ask();
    expect(status).toBe(500);
    expect(text).toContain("S3 GetObject failed: HTTP 503");
    // The next request starts it again, still on a set of one member.
    expect(await ask()).toEqual([202, "restoring the backup"]);
    expect(seen).toEqual([
      { members: 1, primary: "db-0", admin: true },
      { members: 1, primary: "db-0", admin: true },
    ]);
    finish("restored backup b1");
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await ask()).toEqual([200, "restored backup b1"]);
    expect(sim.config?.members.map((member) => member.host)).toEqual(["db-0.db-headless.shop.svc.cluster.local:27017"]);
  });
});
