/**
 * MySQL (MariaDB 10.11) failover on the local cluster: a 3-node cluster (failover.delaySeconds
 * 1, dataLoss none: semi-sync after sync) under continuous writes through the primary Service
 * with only the connection Secret; an id counts as acknowledged when its INSERT returned OK.
 * The primary's mariadbd is SIGKILLed again and again (20 times by default,
 * STEWARD_BENCH_MYSQL_KILLS to change); each failover time is from the kill to the first
 * acknowledged write after it (through the primary Service, so on the new primary). Then every
 * acknowledged id is read back: the number missing is the acknowledged writes lost. Last, the
 * write pause of a switchover (the longest gap between acknowledged writes around it, and the
 * operator's own measure). Prints as it goes.
 *
 * `npm run bench -- mysql` once bench/run.ts lists it; or `node dist/bench/mysql.js`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { startLocalCluster } from "../local/cluster.js";
import { RuntimeControl } from "../local/runtime/control-client.js";
import { ANNOTATIONS } from "../shared/api/index.js";
import { RESOURCES } from "../shared/k8s/client.js";
import { connectionOf, killPrimaryRounds, percentile, readCluster } from "../test/e2e/cluster-fixtures.js";
import { createIdsTable, mariadbCluster, missingIds, startMysqlOperator, startWriter, waitForReady } from "../test/e2e/mysql-fixtures.js";

const round = (value: number) => Math.round(value * 100) / 100;

export async function benchMysql(): Promise<Record<string, number | string>> {
  const kills = Number(process.env.STEWARD_BENCH_MYSQL_KILLS ?? 20);
  const stateDir = mkdtempSync(join(tmpdir(), "steward-bench-mysql-"));
  // Quick restarts: every pod is killed several times, and the kubelet's backoff would grow.
  const cluster = await startLocalCluster({ stateDir, withS3: false, backoffBaseMs: 100 });
  const namespace = "bench-mysql";
  const name = "bench";
  try {
    const operator = await startMysqlOperator(cluster.kubeconfig, namespace);
    await operator.client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    await sleep(1000);
    const provisioned = performance.now();
    await operator.client.apply(mariadbCluster(namespace, name));
    await waitForReady(operator.client, namespace, name, 3, 300_000);
    console.log(`cluster Ready in ${round((performance.now() - provisioned) / 1000)} s`);
    const runtime = new RuntimeControl(cluster.runtimeSocket!);
    const connection = await connectionOf(operator.client, namespace, name);
    await createIdsTable(connection);

    const failover = await killPrimaryRounds(operator.client, namespace, name, {
      rounds: kills,
      writer: startWriter(connection),
      crash: (pod) => runtime.crashContainer({ namespace, pod, container: "database" }),
      waitForReady: () => waitForReady(operator.client, namespace, name, 3, 180_000),
      missingIds: (ids) => missingIds(connection, ids),
      report: (line) => console.log(line),
    });
    const { seconds } = failover;
    console.log(`failover: p50 ${round(percentile(seconds, 50))} s, p99 ${round(percentile(seconds, 99))} s over ${seconds.length} kills`);

    await createIdsTable(connection, "switch_ids");
    const switchover = startWriter(connection, "switch_ids");
    await sleep(1000);
    const requested = Date.now();
    await operator.client.mergePatch(RESOURCES.DatabaseCluster, namespace, name, { metadata: { annotations: { [ANNOTATIONS.switchover]: "auto" } } });
    let result = "";
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !result; await sleep(100)) {
      const current = await readCluster(operator.client, namespace, name);
      const last = current?.status?.lastSwitchover;
      if (last && Date.parse(last.at) >= requested - 1000 && current.metadata.annotations?.[ANNOTATIONS.switchover] === undefined) result = last.result;
    }
    await sleep(1000);
    await switchover.stop();
    const gap = switchover.longestGap(requested, Date.now());
    const pause = /writes paused for (\d+) ms/.exec(result)?.[1];
    const switchoverLost = (await missingIds(connection, switchover.acknowledged.map((entry) => entry.id), "switch_ids")).length;
    console.log(`${result || "the switchover did not finish in 30 s"}; longest gap between acknowledged writes ${gap} ms; ${switchoverLost} lost`);

    await operator.stop();
    return {
      "mysql.failover.kills": seconds.length,
      "mysql.failover.p50_s": round(percentile(seconds, 50)),
      "mysql.failover.p99_s": round(percentile(seconds, 99)),
      "mysql.failover.max_s": round(Math.max(...seconds)),
      "mysql.failover.acknowledged_writes": failover.acknowledged,
      "mysql.failover.lost_acknowledged_writes": failover.lost,
      "mysql.failover.max_primaries_behind_service": failover.maxEndpoints,
      "mysql.switchover.write_pause_ms": gap,
      "mysql.switchover.operator_pause_ms": pause ? Number(pause) : "n/a",
      "mysql.switchover.lost_acknowledged_writes": switchoverLost,
    };
  } finally {
    await cluster.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await benchMysql();
  for (const [key, value] of Object.entries(results)) console.log(`${key}  ${value}`);
  process.exit(0);
}
