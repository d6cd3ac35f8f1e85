import { randomUUID } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import { hostname } from "node:os";
import type { Registry } from "prom-client";
import type { KubeClient } from "../k8s/client.js";
import { rootLogger, type Logger } from "../log.js";
import { RuntimeMetrics } from "../metrics.js";
import { Controller, type ControllerSpec } from "./controller.js";
import { InformerFactory } from "./informer-factory.js";
import { LeaderElector } from "./leader-election.js";

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  /** Default: hostname plus a random suffix, so two processes on one host never share an identity. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ManagerOptions {
  client: KubeClient;
  log?: Logger;
  leaderElection?: false | LeaderElectionOptions;
  /** Port for GET /metrics (and the health endpoints); undefined or 0: no HTTP server. */
  metricsPort?: number;
  /** Port for GET /healthz and /readyz; may equal metricsPort. */
  healthPort?: number;
  /** Bind address of the HTTP server(s). Default all interfaces. */
  host?: string;
  /** SIGTERM and SIGINT stop the manager gracefully, then exit the process. */
  handleSignals?: boolean;
  /** How long stop() waits for in-flight reconciles. Default 30 s. */
  gracefulShutdownMs?: number;
}

/** The controllers of one leadership term (or of the whole run without leader election). */
interface Term {
  controllers: Controller[];
  /** One watch per kind, namespace and selector, shared by the term's controllers. */
  informers: InformerFactory;
  started: Promise<void>;
  stopped?: Promise<void>;
}

/**
 * Runs controllers while this process leads: the manager campaigns for the Lease, starts
 * every controller when it wins, stops them the moment it loses (aborting in-flight
 * reconciles' signals) and campaigns again. It serves /metrics, /healthz and /readyz.
 */
export class Manager {
  readonly metrics: Registry;
  readonly runtimeMetrics: RuntimeMetrics;
  private readonly specs: ControllerSpec[] = [];
  private readonly log: Logger;
  private readonly elector?: LeaderElector;
  private readonly electionName?: string;
  private term?: Term;
  private previousTermStopped: Promise<void> = Promise.resolve();
  private servers: Server[] = [];
  private state: "new" | "running" | "stopping" | "stopped" = "new";
  private electionRun?: Promise<void>;
  private signalHandler?: () => void;

  constructor(private readonly options: ManagerOptions) {
    this.log = options.log ?? rootLogger;
    this.runtimeMetrics = new RuntimeMetrics();
    this.metrics = this.runtimeMetrics.registry;
    this.runtimeMetrics.countRequests(() => options.client.requestCounts());
    if (options.leaderElection) {
      const election = options.leaderElection;
      this.electionName = election.name;
      this.elector = new LeaderElector(options.client, {
        namespace: election.namespace,
        name: election.name,
        identity: election.identity ?? `${hostname()}_${randomUUID()}`,
        leaseDurationMs: election.leaseDurationMs,
        renewDeadlineMs: election.renewDeadlineMs,
        retryPeriodMs: election.retryPeriodMs,
        log: this.log,
      });
      this.runtimeMetrics.leaderStatus.set({ name: election.name }, 0);
    }
  }

  add(spec: ControllerSpec): void {
    if (this.state !== "new") throw new Error(`add controller ${spec.name} before start()`);
    if (this.specs.some((existing) => existing.name === spec.name)) throw new Error(`a controller named ${spec.name} was already added`);
    this.specs.push(spec);
  }

  /** Serves HTTP and starts campaigning (or the controllers, without leader election); does not wait for leadership. */
  async start(): Promise<void> {
    if (this.state !== "new") throw new Error("a Manager starts once");
    this.state = "running";
    await this.serveHttp();
    if (this.options.handleSignals) this.handleSignals();
    if (!this.elector) {
      this.beginTerm();
      return;
    }
    const name = this.electionName!;
    this.electionRun = this.elector.run({
      onStartedLeading: () => {
        this.runtimeMetrics.leaderStatus.set({ name }, 1);
        this.beginTerm();
      },
      onStoppedLeading: () => {
        this.runtimeMetrics.leaderStatus.set({ name }, 0);
        void this.endTerm();
      },
    });
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : this.state === "running";
  }

  /** Ready: started, and either leading with every controller's informers synced, or standing by. */
  isReady(): boolean {
    if (this.state !== "running") return false;
    if (this.elector && !this.elector.isLeader()) return true;
    return this.term !== undefined && this.term.controllers.every((controller) => controller.hasSynced());
  }

  /**
   * Stops the controllers and waits (bounded) for in-flight reconciles, then gives up the
   * lease so a standby takes over at once. `releaseLease: false` leaves the lease to
   * expire, as a crash would.
   */
  async stop(options: { releaseLease?: boolean } = {}): Promise<void> {
    if (this.state === "stopped" || this.state === "stopping") return;
    this.state = "stopping";
    // Reconciles finish while we still hold the lease, so no successor overlaps them.
    await this.endTerm();
    await this.elector?.stop({ release: options.releaseLease ?? true });
    await this.electionRun;
    if (this.electionName) this.runtimeMetrics.leaderStatus.set({ name: this.electionName }, 0);
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.servers = [];
    this.state = "stopped";
    if (this.signalHandler) {
      process.off("SIGTERM", this.signalHandler);
      process.off("SIGINT", this.signalHandler);
    }
  }

  private beginTerm(): void {
    const informers = new InformerFactory(this.options.client, this.log);
    const controllers = this.specs.map(
      (spec) => new Controller(spec, { client: this.options.client, log: this.log, metrics: this.runtimeMetrics, informers }),
    );
    // A new term starts only after the previous term's workers are gone.
    const started = this.previousTermStopped.then(async () => {
      await Promise.all(controllers.map((controller) => controller.start()));
      this.log.info(`started ${controllers.length} controllers on ${informers.size} shared informers`);
    });
    this.term = { controllers, informers, started };
  }

  private endTerm(): Promise<void> {
    const term = this.term;
    if (!term) return this.previousTermStopped;
    // Watching ends at once, as it did per controller; in-flight reconciles still read the last cache.
    term.informers.stop();
    term.stopped ??= Promise.all(term.controllers.map((controller) => controller.stop(this.options.gracefulShutdownMs))).then(() => undefined);
    this.term = undefined;
    this.previousTermStopped = term.stopped;
    return term.stopped;
  }

  private async serveHttp(): Promise<void> {
    const ports = new Set([this.options.metricsPort, this.options.healthPort].filter((port): port is number => !!port));
    for (const port of ports) {
      const server = createServer((request, response) => void this.answer(request.url ?? "/", response));
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, this.options.host, () => resolve());
      });
      this.servers.push(server);
    }
  }

  private async answer(url: string, response: ServerResponse): Promise<void> {
    const path = url.split("?")[0];
    const reply = (status: number, body: string, contentType = "text/plain; charset=utf-8") => {
      response.writeHead(status, { "content-type": contentType });
      response.end(body);
    };
    try {
      if (path === "/metrics") reply(200, await this.metrics.metrics(), this.metrics.contentType);
      else if (path === "/healthz") reply(this.state === "stopped" ? 503 : 200, this.state === "stopped" ? "stopped\n" : "ok\n");
      else if (path === "/readyz") reply(this.isReady() ? 200 : 503, this.isReady() ? "ok\n" : "not ready\n");
      else reply(404, "not found\n");
    } catch (error) {
      reply(500, `${(error as Error).message}\n`);
    }
  }

  private handleSignals(): void {
    let stopping = false;
    this.signalHandler = () => {
      // A second signal while stopping means "now".
      if (stopping) process.exit(1);
      stopping = true;
      this.log.info("received a stop signal; stopping gracefully");
      void this.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          this.log.error({ err: error }, `stopping failed: ${(error as Error).message}`);
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", this.signalHandler);
    process.on("SIGINT", this.signalHandler);
  }
}
