import { join } from "node:path";
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { containerArgv, containerUser, execInContainer, launchContainer, readStartError, type ContainerProcess, type ContainerUser, type ExecResult, type Mount } from "./containers.js";
import { ContainerConfigError, containerEnv, DEFAULT_PATH, expandReferences, type EnvContext } from "./env.js";
import { ProbeLoop, runHandler, type ProbeKind, type ProbeTarget } from "./probes.js";
import type { ContainerPhase, ContainerRecord, Termination } from "./pod-status.js";

/** What a container needs from its pod. */
export interface ContainerHost {
  pod(): V1Pod;
  podIP(): string;
  hostname(): string;
  podDir(): string;
  netns(): string;
  volumePath(name: string): string | undefined;
  /** Files bind-mounted over the host's in every container: /etc/hosts and friends. */
  podFiles(): Mount[];
  cgroupFor(container: string): string | undefined;
  killCgroup(container: string): Promise<void>;
  envContext(container: V1Container): EnvContext;
  shimDir: string;
  backoff: { baseMs: number; maxMs: number };
  terminating(): boolean;
  paused(): boolean;
  changed(): void;
  event(type: "Normal" | "Warning", reason: string, message: string): void;
}

export const timestamp = (date = new Date()): string => date.toISOString().replace(/\.\d{3}Z$/, "Z");

interface Running extends ContainerProcess {
  user: ContainerUser;
  env: Record<string, string>;
  startedAt: string;
  cgroup?: string;
}

/**
 * One container of a pod through its lives: start (env, mounts, user), probes, exit and the
 * restart decision with the kubelet's backoff (first restart at once, then base doubling up to
 * the cap), stop with preStop hook, SIGTERM, grace period and SIGKILL of the whole cgroup.
 */
export class ContainerRunner {
  phase: ContainerPhase = { kind: "waiting", reason: "PodInitializing" };
  lastTermination?: Termination;
  restartCount = 0;
  ready = false;
  started = false;
  finished = false;
  everRan = false;
  running?: Running;
  starting = false;
  nextStartAt = 0;
  private backoffMs = 0;
  private probes: ProbeLoop[] = [];

  constructor(
    readonly spec: V1Container,
    readonly role: "init" | "sidecar" | "regular",
    private readonly host: ContainerHost,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  record(): ContainerRecord {
    return {
      name: this.name,
      image: this.spec.image ?? "",
      role: this.role,
      phase: this.phase,
      lastTermination: this.lastTermination,
      restartCount: this.restartCount,
      ready: this.ready,
      started: this.started,
      finished: this.finished,
      everRan: this.everRan,
      containerID: this.running ? `steward://${this.host.pod().metadata!.uid}/${this.name}/${this.restartCount}` : undefined,
    };
  }

  /** Carries restart counts over from the API status (the runtime restarted; the pod did not change). */
  adoptStatus(restartCount: number, everRan: boolean): void {
    this.restartCount = restartCount;
    this.everRan = everRan;
  }

  canStart(now: number): boolean {
    return !this.running && !this.starting && !this.finished && now >= this.nextStartAt;
  }

  private restartPolicy(): string {
    if (this.role === "sidecar") return "Always";
    return this.host.pod().spec?.restartPolicy ?? "Always";
  }

  async start(): Promise<void> {
    this.starting = true;
    try {
      await this.launch();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const reason = error instanceof ContainerConfigError ? "CreateContainerConfigError" : "CreateContainerError";
      this.phase = { kind: "waiting", reason, message };
      this.nextStartAt = Date.now() + 2000;
      setTimeout(() => this.host.changed(), 2100).unref();
      this.host.event("Warning", "Failed", `Error: ${message}`);
    } finally {
      this.starting = false;
    }
  }

  private async launch(): Promise<void> {
    const pod = this.host.pod();
    const env = await containerEnv(this.host.envContext(this.spec));
    env.PATH = `${this.host.shimDir}:${env.PATH ?? DEFAULT_PATH}`;
    const argv = containerArgv(this.spec, env);
    if (argv.length === 0) throw new ContainerConfigError("the container has neither command nor args: the local runtime runs no images, so the pod spec must name the binary to run");
    const { user, warning } = containerUser(pod, this.spec);
    const mounts: Mount[] = [];
    for (const mount of this.spec.volumeMounts ?? []) {
      const base = this.host.volumePath(mount.name);
      if (!base) throw new ContainerConfigError(`volumeMount ${mount.name} names no volume of the pod`);
      const subPath = mount.subPathExpr ? expandReferences(mount.subPathExpr, env) : mount.subPath;
      mounts.push({ source: subPath ? join(base, subPath) : base, target: mount.mountPath, readOnly: mount.readOnly ?? false });
    }
    for (const file of this.host.podFiles()) if (!mounts.some((m) => m.target === file.target)) mounts.push(file);
    const containerDir = join(this.host.podDir(), "containers", this.name);
    const cgroup = this.host.cgroupFor(this.name);
    await this.host.killCgroup(this.name);
    if (this.everRan) this.restartCount++;
    const process = launchContainer({
      containerDir,
      netns: this.host.netns(),
      hostname: this.host.hostname(),
      cgroup,
      argv,
      env,
      workingDir: this.spec.workingDir,
      mounts,
      user,
      logFile: join(this.host.podDir(), "logs", `${this.name}.log`),
      startErrorFile: join(containerDir, "start-error"),
      warning,
    });
    const startedAt = timestamp();
    this.running = { ...process, user, env, startedAt, cgroup };
    this.phase = { kind: "running", startedAt };
    this.started = !this.spec.startupProbe;
    this.ready = this.started && !this.spec.readinessProbe;
    const started = Date.now();
    void process.exited.then((result) => this.exited(process, result, started, join(containerDir, "start-error")));
    this.host.event("Normal", "Started", `Started container ${this.name}`);
    if (this.spec.lifecycle?.postStart) void this.postStart();
    if (this.spec.startupProbe) this.startProbe("startup");
    else this.startSteadyProbes();
  }

  private async postStart(): Promise<void> {
    const outcome = await runHandler(this.spec.lifecycle!.postStart!, this.probeTarget(), (this.host.pod().spec?.terminationGracePeriodSeconds ?? 30) * 1000);
    if (!outcome.ok && this.running) {
      this.host.event("Warning", "FailedPostStartHook", `PostStartHook failed: ${outcome.message ?? ""}`);
      void this.stop(0, "FailedPostStartHook");
    }
  }

  private probeTarget(): ProbeTarget {
    return { podIP: this.host.podIP(), container: this.spec, exec: (command, timeoutMs) => this.exec(command, timeoutMs) };
  }

  private startProbe(kind: ProbeKind): void {
    const probe = kind === "startup" ? this.spec.startupProbe : kind === "liveness" ? this.spec.livenessProbe : this.spec.readinessProbe;
    if (!probe) return;
    const loop = new ProbeLoop(kind, probe, this.probeTarget(), (k, ok, message) => this.probeChanged(k, ok, message));
    this.probes.push(loop);
    loop.start();
  }

  private startSteadyProbes(): void {
    this.startProbe("liveness");
    this.startProbe("readiness");
  }

  private probeChanged(kind: ProbeKind, ok: boolean, message?: string): void {
    if (!this.running || this.host.paused()) return;
    if (kind === "readiness") {
      this.ready = ok && this.started;
      if (!ok) this.host.event("Warning", "Unhealthy", `Readiness probe failed: ${message ?? ""}`);
    } else if (kind === "startup" && ok) {
      this.started = true;
      this.ready = !this.spec.readinessProbe;
      this.startSteadyProbes();
    } else if (!ok) {
      const what = kind === "startup" ? "Startup" : "Liveness";
      this.host.event("Warning", "Unhealthy", `${what} probe failed: ${message ?? ""}`);
      this.host.event("Normal", "Killing", `Container ${this.name} failed ${kind} probe, will be restarted`);
      const grace = (kind === "startup" ? this.spec.startupProbe : this.spec.livenessProbe)?.terminationGracePeriodSeconds ?? this.host.pod().spec?.terminationGracePeriodSeconds ?? 30;
      void this.stop(grace, "probe");
    }
    this.host.changed();
  }

  private stopProbes(): void {
    for (const loop of this.probes) loop.stop();
    this.probes = [];
  }

  private async exited(process: ContainerProcess, result: { exitCode: number; signal?: string }, startedMs: number, startErrorFile: string): Promise<void> {
    if (this.running?.pid !== process.pid) return;
    const startedAt = this.running.startedAt;
    this.stopProbes();
    // The main process is the container: when it is gone, whatever it left behind goes too.
    await this.host.killCgroup(this.name);
    this.running = undefined;
    this.ready = false;
    const finishedAt = timestamp();
    const startError = readStartError(startErrorFile);
    const policy = this.restartPolicy();
    const failed = result.exitCode !== 0;
    // Init containers run to success once (retried on failure unless Never); sidecars always
    // come back; regular containers follow the pod's policy.
    const wanted = this.role === "init" ? failed && policy !== "Never" : policy === "Always" || (policy === "OnFailure" && failed);
    const restart = !this.host.terminating() && wanted;
    if (startError) {
      // The command never ran: like CreateContainerError, retried under the restart policy.
      this.host.event("Warning", "Failed", `Error: ${startError}`);
      if (!restart) {
        this.phase = { kind: "terminated", termination: { exitCode: 127, reason: "CommandNotFound", message: startError, startedAt, finishedAt } };
        this.finished = true;
      } else {
        this.phase = { kind: "waiting", reason: "CommandNotFound", message: startError };
        this.scheduleRestart();
      }
      this.host.changed();
      return;
    }
    this.everRan = true;
    const termination: Termination = { exitCode: result.exitCode, reason: failed ? "Error" : "Completed", startedAt, finishedAt };
    // A container that ran ten minutes without trouble starts over with no backoff.
    if (Date.now() - startedMs > 10 * 60_000) this.backoffMs = 0;
    if (restart) {
      this.lastTermination = termination;
      this.phase = { kind: "waiting", reason: this.backoffMs > 0 ? "CrashLoopBackOff" : "ContainerCreating", message: this.backoffMs > 0 ? `back-off ${Math.round(this.backoffMs / 1000)}s restarting failed container=${this.name} pod=${this.host.pod().metadata!.name}_${this.host.pod().metadata!.namespace}(${this.host.pod().metadata!.uid})` : undefined };
      this.scheduleRestart();
    } else {
      this.phase = { kind: "terminated", termination };
      this.finished = true;
    }
    this.started = false;
    this.host.changed();
  }

  private scheduleRestart(): void {
    const delay = this.backoffMs;
    this.nextStartAt = Date.now() + delay;
    this.backoffMs = delay === 0 ? this.host.backoff.baseMs : Math.min(delay * 2, this.host.backoff.maxMs);
    if (delay > 0) {
      this.host.event("Warning", "BackOff", `Back-off restarting failed container ${this.name}`);
      setTimeout(() => this.host.changed(), delay + 10).unref();
    }
  }

  /** Node came back: no backoff carried over, as a restarted kubelet has none. */
  resetBackoff(): void {
    this.backoffMs = 0;
    this.nextStartAt = 0;
  }

  /** Stops the container: preStop hook, SIGTERM, up to graceSeconds, then SIGKILL to the whole cgroup. */
  async stop(graceSeconds: number, reason: string): Promise<void> {
    const running = this.running;
    if (!running) return;
    if (reason !== "probe") this.host.event("Normal", "Killing", `Stopping container ${this.name} (${reason})`);
    this.stopProbes();
    const deadline = Date.now() + graceSeconds * 1000;
    const exited = running.exited.then(() => true);
    const hook = this.spec.lifecycle?.preStop;
    if (hook && graceSeconds > 0) {
      const outcome = await Promise.race([runHandler(hook, this.probeTarget(), graceSeconds * 1000), exited.then(() => ({ ok: true }))]);
      if (!outcome.ok) this.host.event("Warning", "FailedPreStopHook", `PreStopHook failed: ${"message" in outcome ? (outcome.message ?? "") : ""}`);
    }
    if (graceSeconds > 0) {
      try {
        process.kill(running.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const remaining = Math.max(0, deadline - Date.now());
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, remaining))]);
    }
    await this.killTree(running);
    // let the exit handler record the termination
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** SIGKILL of every process of the container (cgroup, else process group), until the main one is gone. */
  private async killTree(running: Running): Promise<void> {
    await this.host.killCgroup(this.name);
    if (!running.cgroup) {
      try {
        process.kill(-running.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    // The old process only: a restart may already have put a new one in place.
    await running.exited;
  }

  /** Fault injection: the container dies at once and restarts by policy. */
  async crash(): Promise<void> {
    const running = this.running;
    if (!running) throw new Error(`container ${this.name} is not running`);
    await this.killTree(running);
  }

  exec(command: string[], timeoutMs: number): Promise<ExecResult> {
    const running = this.running;
    if (!running) return Promise.resolve({ exitCode: 126, stdout: "", stderr: `container ${this.name} is not running`, timedOut: false });
    return execInContainer({ pid: running.pid, cgroup: running.cgroup, user: running.user, env: running.env, workingDir: this.spec.workingDir }, command, timeoutMs);
  }
}
