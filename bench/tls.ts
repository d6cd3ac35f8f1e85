/**
 * What TLS costs a MariaDB 10.11 cluster on the local cluster, in one run: the same 3-node
 * cluster (failover.delaySeconds 1, dataLoss none) made twice, once with `tls: {required: true}`
 * (the client verifies the server with the connection Secret's ca.crt) and once with
 * `tls: {enabled: false}`. For each: acknowledged single-row INSERTs per second through the
 * primary Service over STEWARD_BENCH_TLS_SECONDS (default 20) with one client, then
 * STEWARD_BENCH_TLS_KILLS (default 3) SIGKILLs of the primary, each timed from the kill to the
 * first acknowledged write after it. Prints both and the TLS/plaintext ratios. Numbers only.
 *
 * `npm run bench -- tls`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startLocalCluster } from "../local/cluster.js";
import { RuntimeControl } from "../local/runtime/control-client.js";
import { RESOURCES } from "../shared/k8s/client.js";
import { connectionOf, killPrimaryRounds, percentile } from "../test/e2e/cluster-fixtures.js";
import { createIdsTable, mariadbCluster, missingIds, startMysqlOperator, startWriter, waitForReady } from "../test/e2e/mysql-fixtures.js";

const round = (value: number) => Math.round(value * 100) / 100;

interface Figures {
  writesPerSecond: number;
  failoverP50: number;
  lost: number;
}

export async function benchTls(): Promise<Record<string, number | string>> {
  const seconds = Number(process.env.STEWARD_BENCH_TLS_SECONDS ?? 20);
  const kills = Number(process.env.STEWARD_BENCH_TLS_KILLS ?? 3);
  const stateDir = mkdtempSync(join(tmpdir(), "steward-bench-tls-"));
  const cluster = await startLocalCluster({ stateDir, withS3: false, backoffBaseMs: 100 });
  const runtime = new RuntimeControl(cluster.runtimeSocket!);
  // One after the other, never side by side: two clusters would share 2 cores.
  const measure = async (namespace: string, tls: Record<string, unknown>): Promise<Figures> => {
    const name = "bench";
    const operator = await startMysqlOperator(cluster.kubeconfig, namespace);
    try {
      await operator.client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
      await sleep(1000);
      await operator.client.apply(mariadbCluster(namespace, name, { tls }));
      await waitForReady(operator.client, namespace, name, 3, 300_000);
      const connection = await connectionOf(operator.client, namespace, name);
      await createIdsTable(connection, "throughput_ids");
      const writer = startWriter(connection, "throughput_ids");
      await sleep(2000);
      const from = writer.acknowledged.length;
      const started = performance.now();
      await sleep(seconds * 1000);
      const writesPerSecond = (writer.acknowledged.length - from) / ((performance.now() - started) / 1000);
      await writer.stop();
      console.log(`${namespace}: ${round(writesPerSecond)} acknowledged writes/s`);
      await createIdsTable(connection);
      const failover = await killPrimaryRounds(operator.client, namespace, name, {
        rounds: kills,
        writer: startWriter(connection),
        crash: (pod) => runtime.crashContainer({ namespace, pod, container: "database" }),
        waitForReady: () => waitForReady(operator.client, namespace, name, 3, 180_000),
        missingIds: (ids) => missingIds(connection, ids),
        report: (line) => console.log(`${namespace}: ${line}`),
      });
      await operator.client.delete(RESOURCES.DatabaseCluster, namespace, name).catch(() => undefined);
      return { writesPerSecond, failoverP50: percentile(failover.seconds, 50), lost: failover.lost };
    } finally {
      await operator.stop();
    }
  };
  try {
    const tls = await measure("bench-tls-on", { required: true });
    const plain = await measure("bench-tls-off", { enabled: false });
    const results = {
      "tls.on.writes_per_s": round(tls.writesPerSecond),
      "tls.off.writes_per_s": round(plain.writesPerSecond),
      "tls.writes_ratio_on_over_off": round(tls.writesPerSecond / plain.writesPerSecond),
      "tls.on.failover_p50_s": round(tls.failoverP50),
      "tls.off.failover_p50_s": round(plain.failoverP50),
      "tls.failover_ratio_on_over_off": round(tls.failoverP50 / plain.failoverP50),
      "tls.lost_acknowledged_writes": tls.lost + plain.lost,
    };
    console.log(`TLS on/off: writes ${results["tls.writes_ratio_on_over_off"]}x, failover ${results["tls.failover_ratio_on_over_off"]}x`);
    return results;
  } finally {
    await cluster.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
