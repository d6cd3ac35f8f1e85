import { describe, expect, it } from "vitest";
import type { V1StatefulSet } from "@kubernetes/client-node";
import { buildStatefulSet } from "./statefulset.js";
import { testInput } from "./test-cluster.js";

function build(spec = {}, status?: Parameters<typeof testInput>[1], extra: Partial<Parameters<typeof buildStatefulSet>[0]> = {}, annotations?: Record<string, string>): V1StatefulSet {
  return buildStatefulSet({ ...testInput(spec, status, annotations), engineImage: "mariadb:10.11", agentImage: "ghcr.io/steward-dev/steward:0.1.0", ...extra }) as unknown as V1StatefulSet;
}

describe("buildStatefulSet", () => {
  it("runs Parallel with OnDelete updates (the operator orders and rolls pods itself)", () => {
    const set = build();
    expect(set.metadata?.name).toBe("orders");
    expect(set.spec).toMatchObject({ serviceName: "orders-headless", replicas: 3, podManagementPolicy: "Parallel", updateStrategy: { type: "OnDelete" } });
    expect(set.spec?.selector.matchLabels).toEqual({ "steward.dev/cluster": "orders", "steward.dev/component": "database" });
  });
  it("keeps role labels out of the template (the operator labels pods)", () => {
    expect(build().spec?.template.metadata?.labels?.["steward.dev/role"]).toBeUndefined();
  });
  it("maps deletionPolicy to the PVC retention policy and always keeps volumes on scale-in", () => {
    expect(build().spec?.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
    expect(build({ deletionPolicy: "DeleteData" }).spec?.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Delete", whenScaled: "Retain" });
  });
  it("starts the server from the ConfigMap's script with the pod's name and IP, never a password in an argument", () => {
    const pod = build().spec!.template.spec!;
    const engine = pod.containers.find((container) => container.name === "database")!;
    expect(engine.image).toBe("mariadb:10.11");
    expect(engine.command).toEqual(["sh", "/etc/steward/mysql/start.sh"]);
    expect(engine.env?.map((variable) => variable.name)).toEqual(["POD_NAME", "POD_IP"]);
    expect(engine.env?.find((variable) => variable.name === "POD_IP")?.valueFrom?.fieldRef?.fieldPath).toBe("status.podIP");
    expect(engine.readinessProbe?.periodSeconds).toBe(1);
    const everything = JSON.stringify(pod);
    expect(everything).not.toMatch(/password=|--password/i);
    for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
      for (const variable of container.env ?? []) if (/PASSWORD|TOKEN/.test(variable.name)) expect(variable.valueFrom?.secretKeyRef?.name).toBe("orders-credentials");
    }
  });
  it("mounts every path the server writes as a volume (PVC for data, emptyDir for socket and tmp, the ConfigMap read-only)", () => {
    const pod = build().spec!.template.spec!;
    const mounts = pod.containers[0]!.volumeMounts!.map((mount) => `${mount.name}:${mount.mountPath}${mount.readOnly ? ":ro" : ""}`);
    expect(mounts).toEqual(["data:/var/lib/mysql", "config:/etc/steward/mysql:ro", "run:/run/mysqld", "tmp:/var/tmp/mysql", "tls:/etc/steward/tls:ro"]);
    expect(pod.volumes?.map((volume) => volume.name)).toEqual(["config", "run", "tmp", "tls"]);
    // The key is readable by the server's group (fsGroup), never by everyone.
    expect(pod.volumes?.find((volume) => volume.name === "tls")?.secret).toEqual({ secretName: "orders-tls", defaultMode: 0o440 });
    expect(build().spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage).toBe("10Gi");
  });
  it("has an agent init step and sidecar, and prefers spreading pods over nodes", () => {
    const pod = build().spec!.template.spec!;
    expect(pod.initContainers?.[0]?.command).toEqual(["steward", "agent", "mysql-init"]);
    expect(pod.initContainers?.[0]?.env?.find((variable) => variable.name === "STEWARD_BOOTSTRAPPED")?.valueFrom?.configMapKeyRef).toMatchObject({ name: "orders-config", key: "bootstrapped" });
    expect(pod.containers[1]).toMatchObject({ name: "agent", command: ["steward", "agent", "mysql-sidecar"], ports: [{ containerPort: 8765 }] });
    expect(pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.podAffinityTerm.topologyKey).toBe("kubernetes.io/hostname");
  });
  it("restarts pods (new template hash) when the config or the restart annotation changes, not otherwise", () => {
    const hash = (set: V1StatefulSet) => set.spec?.template.metadata?.annotations?.["steward.dev/config-hash"];
    expect(hash(build())).toBe(hash(build()));
    expect(hash(build({ config: { max_connections: "500" } }))).not.toBe(hash(build()));
    expect(build({}, undefined, {}, { "steward.dev/restarted-at": "2026-11-25T10:00:00Z" }).spec?.template.metadata?.annotations?.["steward.dev/restarted-at"]).toBe("2026-11-25T10:00:00Z");
    expect(hash(build({}, { bootstrapped: true }))).toBe(hash(build()));
  });
  it("passes the spec's resources and storage class, and keeps the claim template size it was created with", () => {
    const set = build({ resources: { requests: { cpu: "500m", memory: "1Gi" } }, storage: { size: "20Gi", storageClassName: "fast" } }, undefined, { existingClaimSize: "10Gi" });
    expect(set.spec?.template.spec?.containers[0]?.resources).toEqual({ requests: { cpu: "500m", memory: "1Gi" } });
    expect(set.spec?.volumeClaimTemplates?.[0]?.spec).toMatchObject({ storageClassName: "fast", resources: { requests: { storage: "10Gi" } } });
  });
  it("adds the backup code's sidecars", () => {
    const set = build({}, undefined, { extraContainers: [{ name: "binlog-archiver", image: "x" }] });
    expect(set.spec?.template.spec?.containers.map((container) => container.name)).toEqual(["database", "agent", "metrics", "binlog-archiver"]);
  });
  it("never scales below the primary's ordinal: scale-in waits for a switchover", () => {
    expect(build({ replicas: 3 }, { currentPrimary: "orders-4" }).spec?.replicas).toBe(5);
    expect(build({ replicas: 3 }, { currentPrimary: "orders-1" }).spec?.replicas).toBe(3);
  });
});
