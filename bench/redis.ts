/**
 * Redis failover on the local cluster: a 3-node cluster (failover.delaySeconds 1, dataLoss
 * none) under continuous writes through the primary Service, each acknowledged only when
 * `WAIT 1 500` reports a replica. The primary's redis-server is SIGKILLed again and again
 * (20 times by default, STEWARD_BENCH_REDIS_KILLS to change); each failover time is from the
 * kill to the first acknowledged write on the new primary. Then every acknowledged id is read
 * back: the number missing is the acknowledged writes lost. Also the switchover write pause.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startLocalCluster } from "../local/cluster.js";
import { RuntimeControl } from "../local/runtime/control-client.js";
import { ANNOTATIONS } from "../shared/api/index.js";
import { RESOURCES } from "../shared/k8s/client.js";
import { connectionOf, percentile, readCluster } from "../test/e2e/cluster-fixtures.js";
import { missingIds, redisCluster, runKillRounds, startRedisOperator, startWriter, waitForReady } from "../test/e2e/redis-fixtures.js";

const round = (value: number) => Math.round(value * 100) / 100;

export async function benchRedis(): Promise<Record<string, number | string>> {
  const kills = Number(process.env.STEWARD_BENCH_REDIS_KILLS ?? 20);
  const stateDir = mkdtempSync(join(tmpdir(), "steward-bench-redis-"));
  // Quick restarts: every pod is killed several times, and the kubelet's backoff would grow.
  const cluster = await startLocalCluster({ stateDir, withS3: false, backoffBaseMs: 100 });
  const namespace = "bench-redis";
  const name = "cache";
  try {
    const operator = await startRedisOperator(cluster.kubeconfig, namespace);
    await operator.client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    await sleep(1000);
    await operator.client.apply(redisCluster(namespace, name));
    const provisioned = performance.now();
    await waitForReady(operator.client, namespace, name, 3, 300_000);
    console.log(`cluster Ready in ${round((performance.now() - provisioned) / 1000)} s`);
    const runtime = new RuntimeControl(cluster.runtimeSocket!);
    const failover = await runKillRounds(operator.client, runtime, namespace, name, kills, (line) => console.log(line));
    const connection = await connectionOf(operator.client, namespace, name);

    const switchover = startWriter(connection);
    await sleep(500);
    await operator.client.mergePatch(RESOURCES.DatabaseCluster, namespace, name, { metadata: { annotations: { [ANNOTATIONS.switchover]: "auto" } } });
    let result = "";
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !result; await sleep(100)) {
      const current = await readCluster(operator.client, namespace, name);
      if (current?.status?.lastSwitchover && current.metadata.annotations?.[ANNOTATIONS.switchover] === undefined) result = current.status.lastSwitchover.result;
    }
    await sleep(500);
    await switchover.stop();
    const pause = /writes paused for (\d+) ms/.exec(result)?.[1];
    const switchoverLost = (await missingIds(connection, switchover.acknowledged.map((entry) => entry.id))).length;
    console.log(result || "the switchover did not finish in 30 s");

    await operator.stop();
    return {
      "redis.failover.kills": failover.seconds.length,
      "redis.failover.p50_s": round(percentile(failover.seconds, 50)),
      "redis.failover.p99_s": round(percentile(failover.seconds, 99)),
      "redis.failover.max_s": round(Math.max(...failover.seconds)),
      "redis.failover.acknowledged_writes": failover.acknowledged,
      "redis.failover.lost_acknowledged_writes": failover.lost,
      "redis.failover.max_primaries_behind_service": failover.maxEndpoints,
      "redis.switchover.write_pause_ms": pause ? Number(pause) : "n/a",
      "redis.switchover.lost_acknowledged_writes": switchoverLost,
    };
  } finally {
    await cluster.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
