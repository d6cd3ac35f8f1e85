/**
 * What every chaos scenario runs in: one local cluster (control plane, process runtime, S3) for
 * the whole run, a fresh namespace per scenario, and operators as host processes that the
 * scenario may SIGKILL (operator-process.ts), their logs kept for the report.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { LocalCluster } from "../../local/cluster.js";
import { slotPreloadArgs } from "../../local/slot-names.js";
import { RuntimeControl } from "../../local/runtime/control-client.js";
import { KubeClient, RESOURCES } from "../../shared/k8s/client.js";
import { connectionOf, ensureCrds, type Connection } from "../e2e/cluster-fixtures.js";
import type { ChaosEngine } from "./engines.js";

export interface ChaosWorld {
  cluster: LocalCluster;
  client: KubeClient;
  runtime: RuntimeControl;
  /** Where scenarios keep logs (the report's directory). */
  logDir: string;
  /** The local cluster's state directory: pods' logs are under runtime/pods. */
  stateDir: string;
  log: (line: string) => void;
}

export async function openWorld(cluster: LocalCluster, stateDir: string, logDir: string, log: (line: string) => void): Promise<ChaosWorld> {
  const client = KubeClient.fromKubeconfig(cluster.kubeconfig);
  await ensureCrds(client);
  return { cluster, client, runtime: new RuntimeControl(cluster.runtimeSocket!), logDir, stateDir, log };
}

/** An operator host process for one namespace and engine; SIGKILL it with `kill()`. */
export class OperatorProcess {
  private child: ChildProcess;
  readonly logFile: string;
  static started = 0;
  /** Operators still running, SIGKILLed if the run itself stops (they must not outlive it). */
  static readonly live = new Set<ChildProcess>();

  constructor(world: ChaosWorld, namespace: string, engine: { name: string }) {
    this.logFile = join(world.logDir, `operator-${namespace}.log`);
    const out = openSync(this.logFile, "a");
    const script = join(import.meta.dirname, "operator-process.js");
    this.child = spawn(process.execPath, [...slotPreloadArgs(), script, world.cluster.kubeconfig, namespace, engine.name], { stdio: ["ignore", out, out] });
    closeSync(out);
    OperatorProcess.started++;
    OperatorProcess.live.add(this.child);
    this.child.once("exit", () => OperatorProcess.live.delete(this.child));
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGKILL");
    await exited;
  }

  tail(lines = 30): string[] {
    try {
      return readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines);
    } catch {
      return [];
    }
  }
}

process.once("exit", () => {
  for (const child of OperatorProcess.live) child.kill("SIGKILL");
});

export interface ScenarioCluster {
  namespace: string;
  name: string;
  connection: Connection;
  operator: OperatorProcess;
  /** Kills the operator and starts a successor (the level-triggered reconcile must converge). */
  replaceOperator(): Promise<void>;
  remove(): Promise<void>;
}

/** A fresh namespace, an operator process for it, and a Ready 3-instance cluster of `engine` (`spec`: fields that differ). */
export async function provisionCluster(world: ChaosWorld, engine: ChaosEngine, prefix: string, spec?: Record<string, unknown>): Promise<ScenarioCluster> {
  const namespace = `${prefix}-${Date.now().toString(36)}`;
  const name = engine.name === "redis" ? "cache" : "db";
  await world.client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  const scenario: ScenarioCluster = {
    namespace,
    name,
    connection: undefined as unknown as Connection,
    operator: new OperatorProcess(world, namespace, engine),
    async replaceOperator() {
      await scenario.operator.kill();
      scenario.operator = new OperatorProcess(world, namespace, engine);
    },
    async remove() {
      await scenario.operator.kill();
      await world.client.delete(RESOURCES.Namespace, undefined, namespace).catch(() => undefined);
    },
  };
  // The namespace is new: the API server may refuse objects in it for a moment.
  for (let attempt = 0; ; attempt++) {
    try {
      await world.client.apply(engine.cluster(namespace, name, spec));
      break;
    } catch (error) {
      if (attempt > 20) throw error;
      await sleep(500);
    }
  }
  await engine.waitReady(world.client, namespace, name, 300_000);
  scenario.connection = await connectionOf(world.client, namespace, name);
  await engine.prepare(scenario.connection);
  return scenario;
}
