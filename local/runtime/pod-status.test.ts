import { describe, expect, it } from "vitest";
import { buildPodStatus, podPhase, statusUnchanged, type ContainerRecord, type PodView } from "./pod-status.js";

const running = (name: string, ready = true): ContainerRecord => ({ name, image: "", role: "regular", phase: { kind: "running", startedAt: "2026-01-01T00:00:00Z" }, restartCount: 0, ready, started: true, finished: false, everRan: true });
const exited = (name: string, exitCode: number, finished = true): ContainerRecord => ({
  name,
  image: "",
  role: "regular",
  phase: { kind: "terminated", termination: { exitCode, reason: exitCode === 0 ? "Completed" : "Error", finishedAt: "2026-01-01T00:01:00Z" } },
  restartCount: 0,
  ready: false,
  started: false,
  finished,
  everRan: true,
});
const view = (containers: ContainerRecord[], initContainers: ContainerRecord[] = []): PodView => ({ hostIP: "10.244.0.1", podIP: "10.244.0.7", sandboxReady: true, initContainers, containers, readinessGates: [] });

describe("pod phase and status, as the kubelet reports them", () => {
  it("is Pending until init containers succeeded, then Running", () => {
    const init = { ...exited("setup", 0), role: "init" as const };
    const waitingInit: ContainerRecord = { ...init, phase: { kind: "running", startedAt: "2026-01-01T00:00:00Z" }, finished: false };
    expect(podPhase(view([{ ...running("main"), phase: { kind: "waiting", reason: "PodInitializing" }, everRan: false }], [waitingInit]))).toBe("Pending");
    expect(podPhase(view([running("main")], [init]))).toBe("Running");
  });

  it("is Succeeded when every container finished with 0, Failed when one did not", () => {
    expect(podPhase(view([exited("a", 0), exited("b", 0)]))).toBe("Succeeded");
    expect(podPhase(view([exited("a", 0), exited("b", 1)]))).toBe("Failed");
    expect(podPhase(view([exited("a", 1, false)]))).toBe("Running");
  });

  it("is Failed when an init container failed for good", () => {
    expect(podPhase(view([running("main")], [{ ...exited("setup", 1), role: "init" }]))).toBe("Failed");
  });

  it("keeps other conditions and moves lastTransitionTime only when a condition flips", () => {
    const first = buildPodStatus(view([running("main", false)]), { conditions: [{ type: "PodScheduled", status: "True", lastTransitionTime: new Date("2026-01-01T00:00:00Z") }] }, "2026-01-01T00:00:05Z");
    const conditions = first.conditions as { type: string; status: string; lastTransitionTime: string }[];
    expect(conditions.map((c) => `${c.type}=${c.status}`)).toEqual(["PodScheduled=True", "PodReadyToStartContainers=True", "Initialized=True", "ContainersReady=False", "Ready=False"]);
    const again = buildPodStatus(view([running("main", false)]), first as never, "2026-01-01T00:00:09Z");
    expect(statusUnchanged(again, first as never)).toBe(true);
    const ready = buildPodStatus(view([running("main", true)]), first as never, "2026-01-01T00:00:09Z");
    const readyCondition = (ready.conditions as { type: string; lastTransitionTime: string }[]).find((c) => c.type === "Ready")!;
    expect(readyCondition.lastTransitionTime).toBe("2026-01-01T00:00:09Z");
    expect(statusUnchanged(ready, first as never)).toBe(false);
  });
});
