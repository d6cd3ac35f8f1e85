/**
 * After `down` (a second local cluster, run as `steward local up` runs it: a daemon on its own
 * slot), and after that daemon is SIGKILLed (its slot watchdog cleans up), nothing the runtime
 * created remains: no network namespace, veth, bridge, route, address, hosts block, cgroup or process.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { startDaemon, stopDaemon, type DaemonInfo } from "../../local/daemon-control.js";
import { isAlive } from "../../local/processes.js";
import { cgroup2Root } from "../../local/runtime/cgroups.js";
import { RuntimeControl } from "../../local/runtime/control-client.js";
import { isSlotHeld } from "../../local/runtime/slot-lease.js";
import { cidrsOverlap, slotLayout, SLOT_RUN_DIR, type Slot } from "../../local/runtime/slot.js";
import { waitFor } from "./local-fixtures.js";

interface HostState {
  netns: string[];
  links: string[];
  routes: string[];
  addresses: string[];
  hostsBlock: boolean;
  cgroup: boolean;
  processes: number[];
}

function hostState(slot: Slot, stateDir: string): HostState {
  const inSlot = (cidr: string) => cidrsOverlap(cidr, slot.podCidr) || cidrsOverlap(cidr, slot.serviceCidr);
  const routes = JSON.parse(execFileSync("ip", ["-j", "route", "show", "table", "all"]).toString()) as { dst: string; type?: string }[];
  const links = JSON.parse(execFileSync("ip", ["-j", "addr"]).toString()) as { ifname: string; addr_info: { family: string; local: string }[] }[];
  const cgroupRoot = cgroup2Root();
  const processes = readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(stateDir);
      } catch {
        return false;
      }
    })
    .map(Number);
  return {
    netns: execFileSync("ip", ["netns", "list"]).toString().split("\n").map((l) => l.split(" ")[0]!).filter((n) => n.startsWith(`${slot.prefix}-`)),
    links: links.map((l) => l.ifname).filter((name) => new RegExp(`^${slot.prefix}(p\\d+)?$`).test(name)),
    routes: routes.filter((r) => /^[\d.]+(\/\d+)?$/.test(r.dst) && inSlot(r.dst.includes("/") ? r.dst : `${r.dst}/32`)).map((r) => `${r.type ?? ""} ${r.dst}`),
    addresses: links.flatMap((l) => l.addr_info.filter((a) => a.family === "inet" && inSlot(`${a.local}/32`)).map((a) => `${a.local} on ${l.ifname}`)),
    hostsBlock: readFileSync("/etc/hosts", "utf8").includes(slot.hostsBegin),
    cgroup: cgroupRoot ? existsSync(join(cgroupRoot, slot.cgroupName)) : false,
    processes,
  };
}

const nothing = (state: HostState, podPids: number[]) => ({ ...state, podProcesses: podPids.filter(isAlive) });
const EMPTY = { netns: [], links: [], routes: [], addresses: [], hostsBlock: false, cgroup: false, processes: [], podProcesses: [] };

/** A daemon-run cluster with a pod (emptyDir and PVC), a ClusterIP Service and a headless one: everything the runtime creates. */
async function busyCluster(stateDir: string): Promise<{ info: DaemonInfo; slot: Slot; podPids: number[] }> {
  const info = await startDaemon({ stateDir, withS3: false, withOperator: false, timeoutMs: 120_000 });
  const config = new KubeConfig();
  config.loadFromFile(info.kubeconfig);
  const core = config.makeApiClient(CoreV1Api);
  const namespace = "default";
  await core.createNamespacedPersistentVolumeClaim({ namespace, body: { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } } });
  await core.createNamespacedService({ namespace, body: { metadata: { name: "busy" }, spec: { selector: { app: "busy" }, ports: [{ port: 80 }] } } });
  await core.createNamespacedService({ namespace, body: { metadata: { name: "busy-headless" }, spec: { clusterIP: "None", selector: { app: "busy" }, ports: [{ port: 80 }] } } });
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: "busy", labels: { app: "busy" } },
      spec: {
        hostname: "busy",
        subdomain: "busy-headless",
        containers: [{ name: "main", image: "busybox", command: ["sh", "-c", "sleep 3600 & sleep 3600"], volumeMounts: [{ name: "scratch", mountPath: "/scratch" }, { name: "data", mountPath: "/data" }] }],
        volumes: [{ name: "scratch", emptyDir: {} }, { name: "data", persistentVolumeClaim: { claimName: "data" } }],
      },
    },
  });
  const control = new RuntimeControl(info.runtimeSocket!);
  let podPids: number[] = [];
  await waitFor("the busy pod's processes", async () => {
    const pod = (await control.pods()).find((p) => p.name === "busy");
    const pid = pod?.containers[0]?.pid;
    if (!pid) return false;
    // the container's whole tree: sh and both sleeps
    podPids = execFileSync("sh", ["-c", `cat /proc/${pid}/task/*/children 2>/dev/null; echo ${pid}`]).toString().split(/\s+/).filter(Boolean).map(Number);
    return podPids.length >= 3;
  }, 30_000);
  await waitFor("the slot's hosts block", async () => readFileSync("/etc/hosts", "utf8").includes("busy.busy-headless.default.svc.cluster.local"), 10_000);
  return { info, slot: slotLayout(info.slot), podPids };
}

/** Processes that died are reaped by init a moment later; until then kill(pid, 0) still finds them. */
async function settled(slot: Slot, stateDir: string, podPids: number[]) {
  let state = nothing(hostState(slot, stateDir), podPids);
  await waitFor("the killed processes to be gone", async () => {
    state = nothing(hostState(slot, stateDir), podPids);
    return state.processes.length === 0 && state.podProcesses.length === 0;
  }, 10_000).catch(() => undefined);
  return state;
}

describe("cleanup of a local cluster (a daemon on its own slot)", () => {
  it("after down, leaves nothing the runtime created on the host", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "steward-cleanup-"));
    try {
      const { slot, podPids } = await busyCluster(stateDir);
      const running = hostState(slot, stateDir);
      expect(running.netns.length).toBeGreaterThan(0);
      expect(running.links).toContain(slot.bridge);
      expect(running.routes.some((r) => r.startsWith("unreachable"))).toBe(true);
      expect(running.addresses.length).toBeGreaterThan(1);
      expect(running.hostsBlock).toBe(true);
      expect(running.cgroup).toBe(cgroup2Root() !== undefined);
      expect(running.processes.length).toBeGreaterThan(0);

      expect(await stopDaemon(stateDir)).toBe(true);
      expect(await settled(slot, stateDir, podPids)).toEqual(EMPTY);
      expect(existsSync(join(SLOT_RUN_DIR, `slot-${slot.index}.json`))).toBe(false);
    } finally {
      await stopDaemon(stateDir).catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it("when the daemon is killed outright, its slot's watchdog removes it all", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "steward-crash-"));
    try {
      const { info, slot, podPids } = await busyCluster(stateDir);
      process.kill(info.pid, "SIGKILL");
      await waitFor("the watchdog to release the slot", async () => !isSlotHeld(slot.index), 30_000);
      // The control plane goes with its parent (parent-death signal), the rest with the watchdog.
      expect(await settled(slot, stateDir, podPids)).toEqual(EMPTY);
    } finally {
      await stopDaemon(stateDir).catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
