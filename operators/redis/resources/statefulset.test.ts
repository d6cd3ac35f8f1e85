import type { V1StatefulSet } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { buildStatefulSet } from "./statefulset.js";
import { TEST_PASSWORDS, testInput } from "./test-input.js";
import { buildUsersConf } from "../config.js";

const usersConf = buildUsersConf("app", TEST_PASSWORDS);
const build = (spec: Record<string, unknown> = {}, status?: Parameters<typeof testInput>[1], extra: { existingClaimSize?: string; usersConf?: string } = {}) =>
  buildStatefulSet({ ...testInput(spec, status), usersConf, agentImage: "steward:test", ...extra }) as unknown as V1StatefulSet;

describe("buildStatefulSet", () => {
  const statefulSet = build({ resources: { limits: { memory: "512Mi" } }, storage: { size: "2Gi" } });
  const pod = statefulSet.spec!.template.spec!;
  const redis = pod.containers[0]!;

  it("runs the official image's redis-server from a start command bound to the pod IP, with no secret in its args or env values", () => {
    expect(redis.image).toBe("redis:7.0.15");
    expect(redis.command!.join(" ")).toContain('--bind "$POD_IP"');
    const text = JSON.stringify(statefulSet);
    for (const password of Object.values(TEST_PASSWORDS)) expect(text).not.toContain(password);
    expect(redis.env!.find((variable) => variable.name === "POD_IP")?.valueFrom?.fieldRef?.fieldPath).toBe("status.podIP");
  });

  it("keeps all data on the PVC and mounts config, users and the TLS Secret read-only", () => {
    expect(redis.volumeMounts).toEqual([
      { name: "data", mountPath: "/data" },
      { name: "config", mountPath: "/etc/steward/redis", readOnly: true },
      { name: "auth", mountPath: "/etc/steward/redis-auth", readOnly: true },
      { name: "tls", mountPath: "/etc/steward/tls", readOnly: true },
    ]);
    expect(pod.volumes!.find((volume) => volume.name === "tls")?.secret).toEqual({ secretName: "cache-tls", defaultMode: 0o440 });
    expect(statefulSet.spec!.volumeClaimTemplates![0]!.spec!.resources!.requests!.storage).toBe("2Gi");
    expect(pod.volumes!.find((volume) => volume.name === "auth")?.secret?.secretName).toBe("cache-auth");
  });

  it("lets the operator order restarts and roles (Parallel, OnDelete, no role label in the template)", () => {
    expect(statefulSet.spec).toMatchObject({ podManagementPolicy: "Parallel", updateStrategy: { type: "OnDelete" }, serviceName: "cache-headless", replicas: 3 });
    expect(statefulSet.spec!.template.metadata!.labels!["steward.dev/role"]).toBeUndefined();
    expect(pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(redis.resources).toEqual({ limits: { memory: "512Mi" } });
  });

  it("with TLS: starts following the primary Service's TLS port and probes over TLS; without it, neither", () => {
    expect(redis.command!.join(" ")).toContain("--replicaof cache-primary.shop.svc.cluster.local 6380");
    expect(redis.readinessProbe!.exec!.command!.join(" ")).toContain("--tls --cacert /etc/steward/tls/ca.crt");
    expect(redis.ports!.map((port) => port.containerPort)).toEqual([6379, 6380]);
    const required = build({ tls: { enabled: true, required: true } }).spec!.template.spec!.containers[0]!;
    expect(required.ports!.map((port) => port.containerPort)).toEqual([6380]);
    const plain = build({ tls: { enabled: false, required: false } }).spec!.template.spec!;
    expect(plain.containers[0]!.command!.join(" ")).toContain("6379");
    expect(plain.containers[0]!.readinessProbe!.exec!.command!.join(" ")).not.toContain("--tls");
    expect(plain.volumes!.some((volume) => volume.name === "tls")).toBe(false);
  });

  it("probes readiness every second and tolerates loading in liveness", () => {
    expect(redis.readinessProbe).toMatchObject({ periodSeconds: 1, failureThreshold: 1 });
    expect(redis.livenessProbe!.exec!.command!.join(" ")).toContain("LOADING");
  });

  it("changes the pod template (a rolling restart) when redis.conf or the users change, not otherwise", () => {
    const hash = (set: V1StatefulSet) => set.spec!.template.metadata!.annotations!["steward.dev/config-hash"];
    expect(hash(build())).toBe(hash(build()));
    expect(hash(build({ config: { maxmemory: "1gb" } }))).not.toBe(hash(build()));
    expect(hash(build({}, undefined, { usersConf: buildUsersConf("other", TEST_PASSWORDS) }))).not.toBe(hash(build()));
    expect(hash(build({ tls: { enabled: true, required: true } }))).not.toBe(hash(build()));
  });

  it("never drops below the primary's ordinal when scaling in, and keeps the claim size it was created with", () => {
    expect(build({ replicas: 2 }, { currentPrimary: "cache-2" }).spec!.replicas).toBe(3);
    expect(build({ replicas: 2 }, { currentPrimary: "cache-1" }).spec!.replicas).toBe(2);
    expect(build({ storage: { size: "5Gi" } }, undefined, { existingClaimSize: "1Gi" }).spec!.volumeClaimTemplates![0]!.spec!.resources!.requests!.storage).toBe("1Gi");
  });

  it("maps deletionPolicy to the PVC retention policy", () => {
    expect(build().spec!.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
    expect(build({ deletionPolicy: "DeleteData" }).spec!.persistentVolumeClaimRetentionPolicy!.whenDeleted).toBe("Delete");
  });

  it("adds the restore step only when bootstrapping from a backup", () => {
    expect(pod.initContainers).toBeUndefined();
    const restoring = build({ bootstrap: { source: { backup: "cache-nightly" } } }).spec!.template.spec!;
    expect(restoring.initContainers![0]!.command).toEqual(["steward", "agent", "redis-restore", "--data-dir", "/data"]);
    expect(restoring.initContainers![0]!.envFrom).toEqual([{ secretRef: { name: "cache-bootstrap" } }]);
  });
});
