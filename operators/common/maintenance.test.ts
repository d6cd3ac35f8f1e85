import { describe, expect, it } from "vitest";
import type { DatabaseClusterStatus } from "../../shared/api/index.js";
import type { ClusterHealContext } from "./heal-context.js";
import { switchoverOnRequest, type Switchover } from "./maintenance.js";

/** The parts of a heal pass switchoverOnRequest uses, recording what it writes (hand-written stand-in for the API server's side). */
function healPass(annotation: string | undefined, status: Partial<DatabaseClusterStatus> = {}) {
  const writes: Partial<DatabaseClusterStatus>[] = [];
  const annotations: Record<string, string | null>[] = [];
  const events: string[] = [];
  const heal = {
    cluster: { metadata: { name: "orders", namespace: "shop", annotations: annotation === undefined ? {} : { "steward.dev/switchover": annotation } }, status },
    status: {} as Partial<DatabaseClusterStatus>,
    busy: false,
    now: () => new Date("2026-12-06T08:00:00Z"),
    async persistStatus(fields: Partial<DatabaseClusterStatus>) {
      Object.assign(this.status, fields);
      writes.push(structuredClone(fields));
    },
    async annotateCluster(value: Record<string, string | null>) {
      annotations.push(value);
    },
    async normal(reason: string) {
      events.push(reason);
    },
    async warning(reason: string) {
      events.push(reason);
    },
  };
  return { heal: heal as unknown as ClusterHealContext, writes, annotations, events };
}

function countingSwitchover(newPrimary: string, onSwitch?: (heal: ClusterHealContext) => void) {
  let calls = 0;
  const run = (heal: ClusterHealContext): Switchover => async () => {
    calls += 1;
    heal.status.currentPrimary = newPrimary;
    onSwitch?.(heal);
    return { ok: true, message: `Switched over to ${newPrimary}` };
  };
  return { run, calls: () => calls };
}

describe("a requested switchover", () => {
  it("marks the request taken up, with the primary it starts from, before anything moves", async () => {
    const pass = healPass("auto");
    let markedBeforeSwitch = false;
    const switchover = countingSwitchover("orders-1", () => {
      markedBeforeSwitch = pass.writes.some((write) => write.lastSwitchover?.inProgress === true && write.lastSwitchover.from === "orders-0");
    });
    expect(await switchoverOnRequest(pass.heal, "orders-0", switchover.run(pass.heal))).toBe(true);
    expect(markedBeforeSwitch).toBe(true);
    expect(switchover.calls()).toBe(1);
    expect(pass.writes.at(-1)?.lastSwitchover).toMatchObject({ request: "auto", from: "orders-0", to: "orders-1", inProgress: false });
    expect(pass.annotations).toEqual([{ "steward.dev/switchover": null }]);
    expect(pass.events).toEqual(["SwitchedOver"]);
  });

  it("after an operator died between the switch and its record, records the switch it finds done and does not switch again", async () => {
    const pass = healPass("auto", { lastSwitchover: { request: "auto", from: "orders-0", inProgress: true, at: "2026-12-06T07:59:58Z", result: "Switching over from orders-0" } });
    const switchover = countingSwitchover("orders-2");
    await switchoverOnRequest(pass.heal, "orders-1", switchover.run(pass.heal));
    expect(switchover.calls()).toBe(0);
    expect(pass.writes.at(-1)?.lastSwitchover).toMatchObject({ from: "orders-0", to: "orders-1", inProgress: false });
    expect(pass.annotations).toEqual([{ "steward.dev/switchover": null }]);
  });

  it("after an operator died before the switch, switches (the primary is still the one it started from)", async () => {
    const pass = healPass("auto", { lastSwitchover: { request: "auto", from: "orders-0", inProgress: true, at: "2026-12-06T07:59:58Z", result: "Switching over from orders-0" } });
    const switchover = countingSwitchover("orders-1");
    await switchoverOnRequest(pass.heal, "orders-0", switchover.run(pass.heal));
    expect(switchover.calls()).toBe(1);
  });

  it("a named target not yet primary is switched to, even when the primary moved elsewhere meanwhile", async () => {
    const pass = healPass("orders-2", { lastSwitchover: { request: "orders-2", from: "orders-0", inProgress: true, at: "2026-12-06T07:59:58Z", result: "Switching over from orders-0" } });
    const switchover = countingSwitchover("orders-2");
    await switchoverOnRequest(pass.heal, "orders-1", switchover.run(pass.heal));
    expect(switchover.calls()).toBe(1);
  });

  it("a new request replaces the whole previous record (no stale target or duration left in it)", async () => {
    const pass = healPass("auto", { lastSwitchover: { request: "auto", from: "orders-1", to: "orders-0", inProgress: false, at: "2026-12-05T10:00:00Z", result: "done", durationSeconds: 2 } });
    await switchoverOnRequest(pass.heal, "orders-0", countingSwitchover("orders-1").run(pass.heal));
    expect(pass.writes[0]).toEqual({ lastSwitchover: undefined });
    expect(pass.writes[1]?.lastSwitchover).toMatchObject({ request: "auto", from: "orders-0", inProgress: true });
  });
});
