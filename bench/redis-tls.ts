/**
 * What TLS costs a Redis 7.0 cluster on the local cluster, in one run: the same 3-node cluster
 * (failover.delaySeconds 1, dataLoss none) made twice, once with `tls: {required: true}` (the
 * client verifies the server with the connection Secret's ca.crt, replicas replicate over TLS)
 * and once with `tls: {enabled: false}`. For each: WAIT-acknowledged SETs per second through
 * the primary Service over STEWARD_BENCH_TLS_SECONDS (default 20) with one client, then
 * STEWARD_BENCH_TLS_KILLS (default 3) SIGKILLs of the primary's redis-server, each timed from
 * the kill to the first acknowledged write after it. Prints both and the TLS/plaintext ratios.
 * Numbers only.
 *
 * `npm run bench -- redis-tls`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startLocalCluster } from "../local/cluster.js";
import { RuntimeControl } from "../local/runtime/control-client.js";
import { RESOURCES } from "../shared/k8s/client.js";
import { connectionOf, percentile } from "../test/e2e/cluster-fixtures.js";
import { redisCluster, runKillRounds, startRedisOperator, startWriter, waitForReady } from "../test/e2e/redis-fixtures.js";

const round = (value: number) => Math.round(value * 100) / 100;

interface Figures {
  writesPerSecond: number;
  failoverP50: number;
  lost: number;
}

export async function benchRedisTls(): Promise<Record<string, number | string>> {
  const seconds = Number(process.env.STEWARD_BENCH_TLS_SECONDS ?? 20);
  const kills = Number(process.env.STEWARD_BENCH_TLS_KILLS ?? 3);
  const stateDir = mkdtempSync(join(tmpdir(), "steward-bench-redis-tls-"));
  const cluster = await startLocalCluster({ stateDir, withS3: false, backoffBaseMs: 100 });
  const runtime = new RuntimeControl(cluster.runtimeSocket!);
  // One after the other, never side by side: two clusters would share 2 cores.
  const measure = async (namespace: string, tls: Record<string, unknown>): Promise<Figures> => {
    const name = "bench";
    const operator = await startRedisOperator(cluster.kubeconfig, namespace);
    try {
      await operator.client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
      await sleep(1000);
      await operator.client.apply(redisCluster(namespace, name, { tls }));
      await waitForReady(operator.client, namespace, name, 3, 300_000);
      const connection = await connectionOf(operator.client, namespace, name);
      const writer = startWriter(connection);
      await sleep(2000);
      const from = writer.acknowledged.length;
      const started = performance.now();
      await sleep(seconds * 1000);
      const writesPerSecond = (writer.acknowledged.length - from) / ((performance.now() - started) / 1000);
      await writer.stop();
      console.log(`${namespace}: ${round(writesPerSecond)} acknowledged writes/s`);
      const failover = await runKillRounds(operator.client, runtime, namespace, name, kills, (line) => console.log(`${namespace}: ${line}`));
      await operator.client.delete(RESOURCES.DatabaseCluster, namespace, name).catch(() => undefined);
      return { writesPerSecond, failoverP50: percentile(failover.seconds, 50), lost: failover.lost };
    } finally {
      await operator.stop();
    }
  };
  try {
    const tls = await measure("bench-redis-tls-on", { required: true });
    const plain = await measure("bench-redis-tls-off", { enabled: false });
    const results = {
      "redis_tls.on.writes_per_s": round(tls.writesPerSecond),
      "redis_tls.off.writes_per_s": round(plain.writesPerSecond),
      "redis_tls.writes_ratio_on_over_off": round(tls.writesPerSecond / plain.writesPerSecond),
      "redis_tls.on.failover_p50_s": round(tls.failoverP50),
      "redis_tls.off.failover_p50_s": round(plain.failoverP50),
      "redis_tls.failover_ratio_on_over_off": round(tls.failoverP50 / plain.failoverP50),
      "redis_tls.lost_acknowledged_writes": tls.lost + plain.lost,
    };
    console.log(`Redis TLS on/off: writes ${results["redis_tls.writes_ratio_on_over_off"]}x, failover ${results["redis_tls.failover_ratio_on_over_off"]}x`);
    return results;
  } finally {
    await cluster.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
