import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The controller runtime's metrics, named as controller-runtime and client-go name theirs so
 * existing dashboards and alerts work unchanged. Each Manager owns a Registry (several
 * managers can share a test process without clashing); the process-wide default metrics go
 * into it too.
 */
export class RuntimeMetrics {
  readonly reconcileTotal: Counter<"controller" | "result">;
  readonly reconcileErrors: Counter<"controller">;
  readonly reconcileTime: Histogram<"controller">;
  readonly activeWorkers: Gauge<"controller">;
  readonly workqueueDepth: Gauge<"name">;
  readonly workqueueAdds: Counter<"name">;
  readonly workqueueRetries: Counter<"name">;
  readonly leaderStatus: Gauge<"name">;

  constructor(readonly registry: Registry = new Registry(), options: { defaultMetrics?: boolean } = {}) {
    const registers = [registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
    this.reconcileTotal = new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller, by result (success, error, requeue, requeue_after)",
      labelNames: ["controller", "result"],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.activeWorkers = new Gauge({
      name: "controller_runtime_active_workers",
      help: "Number of currently used workers per controller",
      labelNames: ["controller"],
      registers,
    });
    this.workqueueDepth = new Gauge({ name: "workqueue_depth", help: "Current depth of the work queue", labelNames: ["name"], registers });
    this.workqueueAdds = new Counter({ name: "workqueue_adds_total", help: "Total number of adds handled by the work queue", labelNames: ["name"], registers });
    this.workqueueRetries = new Counter({ name: "workqueue_retries_total", help: "Total number of rate-limited retries handled by the work queue", labelNames: ["name"], registers });
    this.leaderStatus = new Gauge({
      name: "leader_election_master_status",
      help: "1 while this process holds the named lease, 0 while it is standing by",
      labelNames: ["name"],
      registers,
    });
  }

  /**
   * client-go's rest_client_requests_total, by verb, read from the client's own counts at each
   * scrape: what the operator costs the API server (the bench reads it for requests per idle minute).
   */
  countRequests(counts: () => ReadonlyMap<string, number>): void {
    new Counter({
      name: "rest_client_requests_total",
      help: "Requests the operator sent to the API server, by verb (GET, LIST, WATCH, APPLY, PATCH, POST, PUT, DELETE)",
      labelNames: ["method"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [method, count] of counts()) this.inc({ method }, count);
      },
    });
  }
}
