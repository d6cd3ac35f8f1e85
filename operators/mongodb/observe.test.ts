import { describe, expect, it } from "vitest";
import type { PodFacts } from "../common/observed-pods.js";
import { summarize, type MemberReading } from "./observe.js";
import type { HelloFacts } from "./status.js";

/** Hand-written hello facts (the parsed form; parsing recorded documents is status.test.ts's). */
const pod = (name: string, ready = true): PodFacts => ({ name, exists: true, ready, terminating: false, initializing: false, restarts: 0 });
const hello = (facts: Partial<HelloFacts>): HelloFacts => ({ writablePrimary: false, secondary: false, hosts: [], awaitingInitiate: false, ...facts });
const primary = hello({ writablePrimary: true, setName: "db", electionId: "7fffffff0000000000000002", lastWrite: { t: 10, i: 1 } });
const secondary = hello({ secondary: true, setName: "db", lastWrite: { t: 10, i: 1 } });

describe("summarize", () => {
  it("a fresh cluster is provisioning and not initiated", () => {
    const readings: MemberReading[] = ["db-0", "db-1", "db-2"].map((name) => ({ name, pod: pod(name, false), hello: hello({ awaitingInitiate: true }) }));
    const observation = summarize(readings, 3);
    expect(observation.uninitiated).toBe(true);
    expect(observation.provisioning).toBe(true);
    expect(observation.conditions).toContainEqual(expect.objectContaining({ type: "ReplicaSetInitiated", status: "False" }));
    expect(observation.podsUp.size).toBe(3);
  });

  it("a healthy set has its primary, replicas and ready instances", () => {
    const readings: MemberReading[] = [
      { name: "db-0", pod: pod("db-0"), hello: secondary },
      { name: "db-1", pod: pod("db-1"), hello: primary },
      { name: "db-2", pod: pod("db-2"), hello: secondary },
    ];
    const observation = summarize(readings, 3, [{ name: "db-0", role: "primary", ready: true }]);
    expect(observation.electedPrimary).toBe("db-1");
    expect(observation.instances.map((instance) => [instance.name, instance.role, instance.ready])).toEqual([
      ["db-0", "replica", true],
      ["db-1", "primary", true],
      ["db-2", "replica", true],
    ]);
    expect(observation.problems).toEqual([]);
    expect(observation.conditions).toContainEqual(expect.objectContaining({ type: "Replicating", status: "True" }));
  });

  it("an election in progress is a problem that says MongoDB elects and the operator follows", () => {
    const readings: MemberReading[] = [
      { name: "db-0", pod: pod("db-0"), error: "connection refused" },
      { name: "db-1", pod: pod("db-1"), hello: secondary },
      { name: "db-2", pod: pod("db-2"), hello: secondary },
    ];
    const observation = summarize(readings, 3, [{ name: "db-0", role: "primary", ready: true }]);
    expect(observation.electedPrimary).toBeUndefined();
    expect(observation.problems.join(" ")).toMatch(/MongoDB elects one/);
    expect(observation.instances[0]).toMatchObject({ role: "primary", ready: false, message: "does not answer: connection refused" });
  });
});
