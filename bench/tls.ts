/**
 * What TLS costs a MariaDB 10.11 cluster on the local cluster, in one run: two 3-node clusters
 * (failover.delaySeconds 1, dataLoss none), one with `tls: {required: true}` (the client verifies
 * the server with the connection Secret's ca.crt) and one with `tls: {enabled: false}`, measured
 * in turns: STEWARD_BENCH_TLS_WINDOWS (default 4) windows per cluster of acknowledged single-row
 * INSERTs through the primary Service with one client (STEWARD_BENCH_TLS_SECONDS, default 20,
 * per cluster in all), then STEWARD_BENCH_TLS_KILLS (default 3) SIGKILLs of each primary, each
 * timed from the kill to the first acknowledged write after it. Only one cluster is written to
 * at a time; the turns alternate so that a machine whose load drifts (it is shared) weighs on
 * both alike, where one cluster after the other measured the drift (2.58x "faster" with TLS).
 * A kill after which no replica was promoted (the primary came back first on a starved machine)
 * is counted in `tls.kills_without_failover`, not timed. Prints both and the TLS/plaintext
 * ratios. Numbers only.
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
import { connectionOf, killPrimaryRounds, percentile, type Connection } from "../test/e2e/cluster-fixtures.js";
import { createIdsTable, mariadbCluster, missingIds, startMysqlOperator, startWriter, waitForReady, type MysqlOperator } from "../test/e2e/mysql-fixtures.js";

const round = (value: number) => Math.round(value * 100) / 100;
const NAME = "bench";

/** A one-shot connection (1 s connect timeout) through the user-space Service proxy can miss on a busy machine: try again. */
async function withRetries<T>(what: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await what();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(1000);
    }
  }
}

interface Side {
  namespace: string;
  tls: Record<string, unknown>;
  operator?: MysqlOperator;
  connection?: Connection;
  writes: number;
  writeSeconds: number;
  windows: number[];
  failovers: number[];
  lost: number;
  missed: number;
}

export async function benchTls(): Promise<Record<string, number | string>> {
  const seconds = Number(process.env.STEWARD_BENCH_TLS_SECONDS ?? 20);
  const windows = Number(process.env.STEWARD_BENCH_TLS_WINDOWS ?? 4);
  const kills = Number(process.env.STEWARD_BENCH_TLS_KILLS ?? 3);
  const stateDir = mkdtempSync(join(tmpdir(), "steward-bench-tls-"));
  // The kubelet's own restart backoff (10 s): a killed primary stays down, so failover is what is timed.
  const cluster = await startLocalCluster({ stateDir, withS3: false, backoffBaseMs: 10_000 });
  const runtime = new RuntimeControl(cluster.runtimeSocket!);
  const on: Side = { namespace: "bench-tls-on", tls: { required: true }, writes: 0, writeSeconds: 0, windows: [], failovers: [], lost: 0, missed: 0 };
  const off: Side = { namespace: "bench-tls-off", tls: { enabled: false }, writes: 0, writeSeconds: 0, windows: [], failovers: [], lost: 0, missed: 0 };
  const sides = [on, off];
  try {
    // Made one after the other (provisioning is the heavy part), then both kept for the turns.
    for (const side of sides) {
      side.operator = await startMysqlOperator(cluster.kubeconfig, side.namespace);
      await side.operator.client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: side.namespace } });
      await sleep(1000);
      await side.operator.client.apply(mariadbCluster(side.namespace, NAME, { tls: side.tls }));
      await waitForReady(side.operator.client, side.namespace, NAME, 3, 300_000);
      side.connection = await connectionOf(side.operator.client, side.namespace, NAME);
    }
    for (let turn = 1; turn <= windows; turn++) {
      for (const side of turn % 2 === 1 ? sides : [...sides].reverse()) {
        const table = `throughput_${turn}`;
        await withRetries(() => createIdsTable(side.connection!, table));
        const writer = startWriter(side.connection!, table);
        await sleep(1000); // connected and warm before the window opens
        const from = writer.acknowledged.length;
        const started = performance.now();
        await sleep((seconds / windows) * 1000);
        const elapsed = (performance.now() - started) / 1000;
        const written = writer.acknowledged.length - from;
        await writer.stop();
        side.writes += written;
        side.writeSeconds += elapsed;
        side.windows.push(written / elapsed);
        console.log(`${side.namespace}: window ${turn}/${windows}: ${round(written / elapsed)} acknowledged writes/s`);
      }
    }
    for (let kill = 1; kill <= kills; kill++) {
      for (const side of kill % 2 === 1 ? sides : [...sides].reverse()) {
        const table = `failover_${kill}`;
        const client = side.operator!.client;
        await withRetries(() => createIdsTable(side.connection!, table));
        try {
          const failover = await killPrimaryRounds(client, side.namespace, NAME, {
            rounds: 1,
            writer: startWriter(side.connection!, table),
            crash: (pod) => runtime.crashContainer({ namespace: side.namespace, pod, container: "database" }),
            waitForReady: () => waitForReady(client, side.namespace, NAME, 3, 180_000),
            missingIds: (ids) => missingIds(side.connection!, ids, table),
            report: (line) => console.log(`${side.namespace}: ${line}`),
          });
          side.failovers.push(...failover.seconds);
          side.lost += failover.lost;
        } catch (error) {
          side.missed++;
          console.log(`${side.namespace}: kill ${kill} not timed: ${(error as Error).message.slice(0, 120)}`);
          await waitForReady(client, side.namespace, NAME, 3, 180_000);
        }
      }
    }
    for (const side of sides) await side.operator!.client.delete(RESOURCES.DatabaseCluster, side.namespace, NAME).catch(() => undefined);
    const rate = (side: Side) => side.writes / side.writeSeconds;
    const p50 = (side: Side) => percentile(side.failovers, 50);
    const results = {
      "tls.on.writes_per_s": round(rate(on)),
      "tls.off.writes_per_s": round(rate(off)),
      "tls.writes_ratio_on_over_off": round(rate(on) / rate(off)),
      "tls.on.writes_per_s_windows": on.windows.map(round).join(" "),
      "tls.off.writes_per_s_windows": off.windows.map(round).join(" "),
      "tls.on.failover_p50_s": round(p50(on)),
      "tls.off.failover_p50_s": round(p50(off)),
      "tls.failover_ratio_on_over_off": round(p50(on) / p50(off)),
      "tls.on.failover_s": on.failovers.map(round).join(" "),
      "tls.off.failover_s": off.failovers.map(round).join(" "),
      "tls.lost_acknowledged_writes": on.lost + off.lost,
      "tls.kills_without_failover": on.missed + off.missed,
    };
    console.log(`TLS on/off: writes ${results["tls.writes_ratio_on_over_off"]}x, failover ${results["tls.failover_ratio_on_over_off"]}x`);
    return results;
  } finally {
    for (const side of sides) await side.operator?.stop();
    await cluster.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
