/**
 * The local S3 server (versitygw as a pod): the bucket is served over HTTPS to the host and to
 * pods (verified against the local cluster's S3 CA), a BackupStorage points at it with that CA
 * as its caBundle, and stopping and starting it (as backup fault tests do) keeps the
 * objects, which live on its PVC. Its fault proxy answers errors, resets connections, holds
 * responses and hides the bucket on demand, and forwards untouched otherwise.
 */
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, inject, it } from "vitest";
import { BACKUP_STORAGE_NAME } from "../../local/cluster.js";
import { s3FaultState, setS3Fault, setS3Running } from "../../local/s3/s3.js";
import { createS3Client } from "../../backup/s3/client.js";
import { apply, clients, execOk, freshNamespace, isReady, waitForPod } from "./local-fixtures.js";

const s3 = inject("s3");
const client = createS3Client({ endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, prefix: "", forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, caBundle: s3.caBundle }, { maxAttempts: 1 });
const key = `local-s3-test/${Date.now()}.txt`;
let remove: () => Promise<void> = async () => {};

afterAll(async () => {
  await setS3Running(clients().config, true);
  await setS3Fault(clients().config, { fault: { mode: "none" }, rate: 1 });
  client.destroy();
  await remove();
});

describe("the local S3 server", () => {
  it("serves the bucket to the host, with a BackupStorage pointing at its in-cluster address", async () => {
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "kept on the PVC" }));
    const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(await object.Body!.transformToString()).toBe("kept on the PVC");
    const { config } = clients();
    const { CustomObjectsApi } = await import("@kubernetes/client-node");
    const storage = (await config.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: "steward.dev", version: "v1alpha1", namespace: "default", plural: "backupstorages", name: BACKUP_STORAGE_NAME })) as { spec: { s3: { endpoint: string; bucket: string } } };
    expect(storage.spec.s3).toMatchObject({ endpoint: s3.endpointInCluster, bucket: s3.bucket, caBundle: s3.caBundle });
    expect(s3.endpointInCluster).toMatch(/^https:/);
  });

  it("is reachable from a pod by its Service name", async () => {
    let namespace: string;
    ({ namespace, remove } = await freshNamespace("s3"));
    await apply([
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "s3-ca", namespace }, data: { "ca.crt": s3.caBundle } },
      { apiVersion: "v1", kind: "Pod", metadata: { name: "client", namespace }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "client", image: "curl", command: ["sleep", "3600"], volumeMounts: [{ name: "ca", mountPath: "/etc/s3-ca" }] }], volumes: [{ name: "ca", configMap: { name: "s3-ca" } }] } },
    ]);
    await waitForPod(namespace, "client", isReady, "Ready");
    // unsigned: S3 answers 403, which proves the name, the ClusterIP, the proxy and a certificate
    // for the Service's name that the CA verifies (curl refuses it otherwise)
    const status = await execOk(namespace, "client", ["curl", "-s", "--cacert", "/etc/s3-ca/ca.crt", "-o", "/dev/null", "-w", "%{http_code}", `${s3.endpointInCluster}/${s3.bucket}`]);
    expect(status).toBe("403");
  });

  it("stops and starts, keeping its objects", async () => {
    const { config } = clients();
    await setS3Running(config, false);
    await expect(client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).rejects.toThrow();
    await setS3Running(config, true);
    const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(await object.Body!.transformToString()).toBe("kept on the PVC");
  });

  it("injects S3 faults through its proxy, and clears them", async () => {
    const { config } = clients();
    const body = "x".repeat(200_000);
    const put = (name: string, timeoutMs?: number) =>
      client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${key}.${name}`, Body: body }), timeoutMs ? { abortSignal: AbortSignal.timeout(timeoutMs) } : {});
    const before = await s3FaultState(config);

    await setS3Fault(config, { fault: { mode: "errors", status: 503 }, rate: 1 });
    await expect(put("errors")).rejects.toMatchObject({ name: "SlowDown", $metadata: { httpStatusCode: 503 } });

    await setS3Fault(config, { fault: { mode: "drop", afterBytes: 65_536 }, rate: 1 });
    await expect(put("drop")).rejects.toThrow(/ECONNRESET|socket hang up|EPIPE/);

    await setS3Fault(config, { fault: { mode: "slow", delayMs: 5_000 }, rate: 1 });
    await expect(put("slow", 1_000)).rejects.toThrow(/abort/i);

    await setS3Fault(config, { fault: { mode: "missing-bucket" }, rate: 1 });
    await expect(client.send(new HeadBucketCommand({ Bucket: s3.bucket }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });

    const after = await setS3Fault(config, { fault: { mode: "none" }, rate: 1 });
    expect(after.faulted - before.faulted).toBe(3);
    await put("clear");
    const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(await object.Body!.transformToString()).toBe("kept on the PVC");
  });

  it("clears a burst by itself", async () => {
    const { config } = clients();
    const state = await setS3Fault(config, { fault: { mode: "errors", status: 500 }, rate: 1, forSeconds: 1 });
    expect(state.until).toBeDefined();
    await expect(client.send(new HeadBucketCommand({ Bucket: s3.bucket }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await client.send(new HeadBucketCommand({ Bucket: s3.bucket }));
    expect((await s3FaultState(config)).fault.mode).toBe("none");
  });
});
