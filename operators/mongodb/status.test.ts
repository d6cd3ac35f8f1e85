import { readFileSync } from "node:fs";
import { BSON } from "mongodb";
import { describe, expect, it } from "vitest";
import { planMembership } from "./planner.js";
import { replSetConfigSchema } from "./replset-config.js";
import { detectPrimary, memberHealth, memberRoles, parseHello, parseReplSetStatus, podOfHost, primaryChange, type HelloFacts } from "./status.js";

/** A recorded server document (see testdata/SOURCES.md for where each comes from). */
function recorded(name: string): unknown {
  const wrapper = JSON.parse(readFileSync(new URL(`./testdata/${name}`, import.meta.url), "utf8")) as { source: string; document: unknown };
  expect(wrapper.source).toBeTruthy();
  // The recordings were written by pymongo's json_util, whose $binary is the legacy
  // {"$binary": base64, "$type": hex} form; bson's parser reads only the canonical one.
  const text = JSON.stringify(wrapper.document, (_key, value: unknown) => {
    const binary = value as { $binary?: unknown; $type?: unknown };
    if (typeof binary === "object" && binary !== null && typeof binary.$binary === "string" && typeof binary.$type === "string") return { $binary: { base64: binary.$binary, subType: binary.$type } };
    return value;
  });
  return BSON.EJSON.parse(text);
}

describe("parseHello on recorded documents", () => {
  it("reads a 4.2 primary's isMaster", () => {
    const hello = parseHello(recorded("datadog-isMaster-replica-primary.json"));
    expect(hello).toMatchObject({ writablePrimary: true, secondary: false, setName: "replset", me: "replset-data-0.mongo.default.svc.cluster.local:27017", electionId: "7fffffff000000000000000b", lastWrite: { t: 1600348939, i: 85 } });
    expect(hello.lastWriteDate?.toISOString()).toBe("2020-09-17T13:22:19.000Z");
    expect(hello.awaitingInitiate).toBe(false);
  });
  it("reads a secondary's isMaster", () => {
    expect(parseHello(recorded("datadog-isMaster-replica-secondary.json"))).toMatchObject({ writablePrimary: false, secondary: true, primary: "replset-data-0.mongo.default.svc.cluster.local:27017" });
  });
  it("reads the hello field names of 5.0+ (hand-written variant)", () => {
    expect(parseHello(recorded("handwritten-hello-primary-70.json")).writablePrimary).toBe(true);
  });
});

describe("parseReplSetStatus on recorded documents", () => {
  it("reads members, states, optimes and self from the primary's view", () => {
    const status = parseReplSetStatus(recorded("datadog-replSetGetStatus-replica-primary.json"));
    expect(status).toMatchObject({ set: "replset", myState: 1, term: 24 });
    expect(status.members.map((member) => [member.stateStr, member.state, member.self])).toEqual([
      ["PRIMARY", 1, true],
      ["ARBITER", 7, false],
      ["SECONDARY", 2, false],
      ["SECONDARY", 2, false],
    ]);
    expect(status.members[0]?.optime).toMatchObject({ t: 1601384207, i: 1 });
    expect(status.members[1]?.optime).toBeUndefined();
  });
  it("knows which member it was asked on from a secondary's view", () => {
    const status = parseReplSetStatus(recorded("datadog-replSetGetStatus-replica-secondary.json"));
    expect(status.myState).toBe(2);
    expect(status.members.find((member) => member.self)?.host).toBe("replset-data-1.mongo.default.svc.cluster.local:27017");
  });
  it("feeds the membership planner with a recorded configuration and status", () => {
    const { config } = recorded("datadog-replSetGetConfig.json") as { config: unknown };
    const parsed = replSetConfigSchema.parse(config);
    const status = parseReplSetStatus(recorded("datadog-replSetGetStatus-replica-primary.json"));
    // Steward wants the three data pods and no arbiter: the first step removes the arbiter, keeping the set's settings.
    const step = planMembership(
      {
        config: parsed,
        desired: [0, 1, 2].map((ordinal) => ({ pod: `mongo-mongodb-sharded-shard0-data-${ordinal}`, ordinal, host: `mongo-mongodb-sharded-shard0-data-${ordinal}.mongo-mongodb-sharded-headless.default.svc.cluster.local:27017`, votes: 1, priority: 1 })),
        primary: parsed.members[0]?.host,
        members: memberHealth(status),
        committed: true,
        podsUp: new Set(),
      },
      parsed._id,
    );
    expect(step).toMatchObject({ action: "reconfig", config: { version: 5, settings: { chainingAllowed: true } } });
    if (step.action !== "reconfig") return;
    expect(step.config.members.map((member) => member.host)).not.toContain("mongo-mongodb-sharded-shard0-arbiter-0.mongo-mongodb-sharded-headless.default.svc.cluster.local:27017");
  });
});

describe("detectPrimary and roles", () => {
  const primary = parseHello(recorded("datadog-isMaster-replica-primary.json"));
  const secondary = parseHello(recorded("datadog-isMaster-replica-secondary.json"));
  it("takes the member that says it is writable", () => {
    const hellos = new Map<string, HelloFacts | undefined>([
      ["db-0", secondary],
      ["db-1", primary],
      ["db-2", undefined],
    ]);
    expect(detectPrimary(hellos)).toMatchObject({ primary: "db-1" });
    expect(Object.fromEntries(memberRoles(["db-0", "db-1", "db-2"], "db-1", hellos))).toEqual({ "db-0": "replica", "db-1": "primary", "db-2": "none" });
  });
  it("prefers the later election when two claim to be primary", () => {
    const stale = { ...primary, electionId: "7fffffff000000000000000a" };
    const detection = detectPrimary(new Map([["db-0", stale], ["db-2", primary]]));
    expect(detection.primary).toBe("db-2");
    expect(detection.reason).toContain("both claim");
  });
  it("has no primary during an election", () => {
    expect(detectPrimary(new Map([["db-0", secondary], ["db-1", undefined]]))).toEqual({ reason: expect.stringContaining("election") });
    expect(detectPrimary(new Map([["db-0", undefined]]))).toEqual({ reason: "no member answered" });
  });
  it("names the change of primary for the Event", () => {
    expect(primaryChange("db-0", "db-0")).toBeUndefined();
    expect(primaryChange(undefined, "db-0")).toBe("MongoDB elected db-0 primary");
    expect(primaryChange("db-0", "db-2")).toBe("MongoDB elected db-2 primary in place of db-0");
    expect(podOfHost("db-2.db-headless.shop.svc.cluster.local:27017")).toBe("db-2");
  });
});
