/**
 * Given the local cluster, the real Job and CronJob controllers run their pods to completion on
 * the process runtime, and a Service's ClusterIP follows its selector from one pod to another,
 * seen from the host and from inside another pod.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apply, clients, execOk, freshNamespace, isReady, runtime, waitFor, waitForPod } from "./local-fixtures.js";

let namespace = "";
let remove: () => Promise<void> = async () => {};

/** A pod that answers every TCP connection on 8080 with its own name. */
function namedServer(name: string, role: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { app: "echo", role } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: "server",
          image: "alpine/socat",
          command: ["socat", "TCP-LISTEN:8080,fork,reuseaddr", "SYSTEM:echo $POD_NAME"],
          env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
          ports: [{ name: "echo", containerPort: 8080 }],
          readinessProbe: { tcpSocket: { port: "echo" }, periodSeconds: 1 },
        },
      ],
    },
  };
}

function readFrom(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let data = "";
    socket.setTimeout(3000, () => socket.destroy(new Error("timeout")));
    socket.on("data", (chunk) => (data += chunk.toString()));
    socket.on("end", () => resolve(data.trim()));
    socket.on("error", reject);
  });
}

beforeAll(async () => {
  ({ namespace, remove } = await freshNamespace("work"));
  // Created first: its first run is up to a minute away, the other tests run meanwhile.
  await apply([
    {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "tick", namespace },
      spec: {
        schedule: "* * * * *",
        jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "tick", image: "busybox", command: ["sh", "-c", "date"] }] } } } },
      },
    },
  ]);
});

afterAll(async () => remove());

describe("workloads on the process runtime", () => {
  it("runs a Job's pod to Succeeded and completes the Job", async () => {
    const { batch, core } = clients();
    await apply([
      {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: "once", namespace },
        spec: { backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [{ name: "work", image: "busybox", command: ["sh", "-c", "echo working in $(hostname); test -s /var/run/secrets/kubernetes.io/serviceaccount/token"] }] } } },
      },
    ]);
    await waitFor("job once to complete", async () => (await batch.readNamespacedJob({ name: "once", namespace })).status?.succeeded === 1, 60_000, 500);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: "job-name=once" });
    expect(pods.items.map((p) => p.status?.phase)).toEqual(["Succeeded"]);
    expect(pods.items[0]!.status!.containerStatuses![0]!.state?.terminated?.reason).toBe("Completed");
  });

  it("fails a container whose command does not exist with a clear reason", async () => {
    await apply([{ apiVersion: "v1", kind: "Pod", metadata: { name: "missing", namespace }, spec: { restartPolicy: "Never", containers: [{ name: "main", image: "x", command: ["no-such-binary-here"] }] } }]);
    const pod = await waitForPod(namespace, "missing", (p) => p.status?.phase === "Failed", "Failed", 30_000);
    const terminated = pod.status!.containerStatuses![0]!.state?.terminated;
    expect(terminated?.reason).toBe("CommandNotFound");
    expect(terminated?.message).toContain("no-such-binary-here");
  });

  it("moves a Service's ClusterIP from one pod to another when the labels change, from the host and from a pod", async () => {
    const { core } = clients();
    await apply([
      namedServer("alpha", "active"),
      namedServer("beta", "standby"),
      { apiVersion: "v1", kind: "Service", metadata: { name: "echo", namespace }, spec: { selector: { app: "echo", role: "active" }, ports: [{ name: "echo", port: 80, targetPort: "echo" }] } },
      { apiVersion: "v1", kind: "Pod", metadata: { name: "client", namespace }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "client", image: "busybox", command: ["sleep", "3600"] }] } },
    ]);
    for (const name of ["alpha", "beta", "client"]) await waitForPod(namespace, name, isReady, "Ready");
    const clusterIP = (await core.readNamespacedService({ name: "echo", namespace })).spec!.clusterIP!;
    const fromPod = async () => (await execOk(namespace, "client", ["socat", "-T2", "-", `TCP:echo.${namespace}.svc.cluster.local:80`])).trim();
    await waitFor("the Service to answer with alpha", async () => (await readFrom(clusterIP, 80)) === "alpha", 20_000, 250);
    expect(await fromPod()).toBe("alpha");

    const relabel = (name: string, role: string) => core.patchNamespacedPod({ name, namespace, body: [{ op: "replace", path: "/metadata/labels/role", value: role }] });
    await relabel("alpha", "standby");
    await relabel("beta", "active");
    await waitFor("the Service to answer with beta from the host", async () => (await readFrom(clusterIP, 80)) === "beta", 20_000, 250);
    await waitFor("the Service to answer with beta from a pod", async () => (await fromPod()) === "beta", 20_000, 250);
    // and every connection, not just one: only beta is behind it now
    for (let i = 0; i < 5; i++) expect(await readFrom(clusterIP, 80)).toBe("beta");
    expect((await runtime().status()).proxiedConnections).toBeGreaterThan(0);
  });

  it("fires the CronJob within a minute and its Job completes", async () => {
    const { batch } = clients();
    await waitFor("a Job of CronJob tick to succeed", async () => {
      const jobs = await batch.listNamespacedJob({ namespace });
      return jobs.items.some((job) => job.metadata?.ownerReferences?.some((o) => o.kind === "CronJob" && o.name === "tick") && job.status?.succeeded === 1);
    }, 75_000, 1000);
  });
});
