import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "yaml";
import { databaseCluster } from "../shared/api/index.js";
import { KubeClient, RESOURCES, type KubeObject } from "../shared/k8s/client.js";
import { repositoryRoot } from "../local/repository.js";
import { statusRows, renderStatus } from "./status.js";

/**
 * `steward local up --sample`: creates deploy/samples/mariadb.yaml (a 3-node MariaDB cluster with
 * backups to the local S3) and follows it until Ready, printing each phase change and what the
 * status says is missing, so a new user sees the operator work.
 */
export async function createSampleCluster(kubeconfig: string, timeoutMs = 10 * 60_000): Promise<void> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    const manifest = parse(readFileSync(join(repositoryRoot(), "deploy", "samples", "mariadb.yaml"), "utf8")) as KubeObject;
    const { namespace, name } = manifest.metadata as { namespace: string; name: string };
    // The CRD may have been established a moment ago; the API server refuses objects until then.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await client.apply(manifest, { fieldManager: "steward-sample" });
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(1000);
      }
    }
    console.log(`\ncreated DatabaseCluster ${namespace}/${name} (deploy/samples/mariadb.yaml); waiting until it is Ready`);
    let last = "";
    for (;;) {
      const raw = await client.get<KubeObject>(RESOURCES.DatabaseCluster, namespace, name);
      const cluster = raw ? databaseCluster.parse(raw) : undefined;
      const phase = cluster?.status?.phase ?? "Pending";
      const ready = cluster?.status?.conditions?.find((condition) => condition.type === "Ready");
      const line = `  ${phase}: ${cluster?.status?.readyReplicas ?? 0}/${cluster?.spec.replicas ?? "?"} ready${ready ? ` (${ready.message})` : ""}`;
      if (line !== last) console.log(line);
      last = line;
      if (phase === "Ready" && cluster) {
        console.log(`\n${renderStatus(statusRows([cluster], []), false)}`);
        console.log(`\nconnect with the connection Secret: kubectl get secret ${name}-conn -o jsonpath='{.data.uri}' | base64 -d`);
        return;
      }
      if (phase === "Failed") throw new Error(`the sample cluster failed: ${ready?.message ?? "see kubectl describe dbc sample"}`);
      if (Date.now() > deadline) throw new Error(`the sample cluster is not Ready after ${timeoutMs / 1000} s; see steward status and kubectl get pods`);
      await sleep(1000);
    }
  } finally {
    await client.close();
  }
}
