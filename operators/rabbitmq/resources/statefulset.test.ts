import type { V1StatefulSet } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { testCluster } from "../test-cluster.js";
import { AGENT_CONTAINER } from "../../common/resources/containers.js";
import { CONFIG_HASH_ANNOTATION } from "../../common/resources/statefulset.js";
import { ENGINE_CONTAINER, SETUP_CONTAINER, buildStatefulSet, defaultEngineImage, podConfigHash } from "./statefulset.js";

function build(spec: Parameters<typeof testCluster>[0] = {}, extra: Partial<Parameters<typeof buildStatefulSet>[0]> = {}): V1StatefulSet {
  const input = testCluster(spec);
  return buildStatefulSet({ ...input, engineImage: defaultEngineImage(input.spec), agentImage: "steward:test", replicas: input.spec.replicas, ...extra }) as unknown as V1StatefulSet;
}

describe("buildStatefulSet", () => {
  const sts = build();
  const pod = sts.spec!.template.spec!;
  const engine = pod.containers.find((c) => c.name === ENGINE_CONTAINER)!;
  const env = Object.fromEntries((engine.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

  it("starts every node at once and leaves rolling to the operator", () => {
    expect(sts.spec!.podManagementPolicy).toBe("Parallel");
    expect(sts.spec!.updateStrategy).toEqual({ type: "OnDelete" });
    expect(sts.spec!.serviceName).toBe("orders-headless");
    expect(sts.spec!.replicas).toBe(3);
    expect(sts.metadata!.ownerReferences?.[0]).toMatchObject({ kind: "DatabaseCluster", name: "orders", uid: "1234-uid", controller: true });
  });

  it("names each node after its pod's StatefulSet DNS name, with long names", () => {
    expect(env.RABBITMQ_NODENAME).toBe("rabbit@$(POD_NAME).orders-headless.shop.svc.cluster.local");
    expect(env.RABBITMQ_USE_LONGNAME).toBe("true");
    expect(env.POD_NAME).toEqual({ fieldRef: { fieldPath: "metadata.name" } });
    expect(env.RABBITMQ_CONFIG_FILES).toBe("/etc/rabbitmq/conf.d");
    expect(env.RABBITMQ_MNESIA_BASE).toBe("/var/lib/rabbitmq/mnesia");
    expect(env.HOME).toBe("/var/lib/rabbitmq");
  });

  it("runs the official image's rabbitmq-server with the AMQP(S) port as readiness and a draining preStop hook", () => {
    expect(engine.image).toBe("rabbitmq:3.13.7");
    expect(engine.command).toEqual(["rabbitmq-server"]);
    expect(engine.readinessProbe?.tcpSocket?.port).toBe("amqps");
    expect(engine.livenessProbe).toBeUndefined();
    expect(engine.lifecycle?.preStop?.exec?.command?.[2]).toContain("rabbitmq-upgrade -q drain");
    expect(engine.ports?.map((p) => p.containerPort)).toEqual([5672, 15672, 5671, 15671, 15692, 4369, 25672]);
    expect(engine.securityContext?.runAsUser).toBe(999);
    const plain = build({ tls: { enabled: false, required: false } }).spec!.template.spec!.containers.find((c) => c.name === ENGINE_CONTAINER)!;
    expect(plain.readinessProbe?.tcpSocket?.port).toBe("amqp");
    expect(plain.ports?.map((p) => p.containerPort)).toEqual([5672, 15672, 15692, 4369, 25672]);
  });

  it("with spec.tls.required opens no plaintext port; readiness is the AMQPS listener", () => {
    const required = build({ tls: { enabled: true, required: true } }).spec!.template.spec!.containers.find((c) => c.name === ENGINE_CONTAINER)!;
    expect(required.ports?.map((p) => p.containerPort)).toEqual([5671, 15671, 15692, 4369, 25672]);
    expect(required.readinessProbe?.tcpSocket?.port).toBe("amqps");
  });

  it("mounts the TLS Secret group-readable for setup and the agent, and the copy RabbitMQ reads in memory", () => {
    expect(pod.volumes!.find((v) => v.name === "tls")?.secret).toEqual({ secretName: "orders-tls", defaultMode: 0o440 });
    expect(pod.volumes!.find((v) => v.name === "tls-live")?.emptyDir).toEqual({ medium: "Memory", sizeLimit: "1Mi" });
    const mounts = (container: { volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }) => container.volumeMounts!.filter((m) => m.name.startsWith("tls")).map((m) => [m.name, m.mountPath, m.readOnly ?? false]);
    expect(mounts(engine)).toEqual([["tls-live", "/etc/rabbitmq/tls", true]]);
    const writers = [pod.initContainers!.find((c) => c.name === SETUP_CONTAINER)!, pod.containers.find((c) => c.name === AGENT_CONTAINER)!];
    for (const writer of writers) expect(mounts(writer)).toEqual([["tls", "/etc/steward/tls", true], ["tls-live", "/etc/rabbitmq/tls", false]]);
    expect(pod.initContainers!.find((c) => c.name === SETUP_CONTAINER)!.command?.[2]).toContain("installed the TLS certificate");
    const plain = build({ tls: { enabled: false, required: false } }).spec!.template.spec!;
    expect(plain.volumes!.map((v) => v.name)).not.toContain("tls");
    expect(plain.initContainers!.find((c) => c.name === SETUP_CONTAINER)!.command?.[2]).not.toContain("TLS");
  });

  it("puts every path RabbitMQ writes on a volume: data on the PVC, HOME, logs and conf.d on emptyDirs", () => {
    const mounts = Object.fromEntries(engine.volumeMounts!.map((m) => [m.mountPath, m.name]));
    expect(mounts).toMatchObject({ "/var/lib/rabbitmq": "home", "/var/lib/rabbitmq/mnesia": "data", "/var/log/rabbitmq": "logs", "/etc/rabbitmq/conf.d": "config" });
    expect(sts.spec!.volumeClaimTemplates![0]!.spec!.resources!.requests!.storage).toBe("1Gi");
  });

  it("copies the cookie in an init container from a Secret mounted owner-only", () => {
    const setup = pod.initContainers!.find((c) => c.name === SETUP_CONTAINER)!;
    expect(setup.command?.[2]).toContain(".erlang.cookie");
    const cookie = pod.volumes!.find((v) => v.name === "cookie-source")!;
    expect(cookie.secret).toMatchObject({ secretName: "orders-erlang-cookie", defaultMode: 0o400 });
  });

  it("mounts the default-user fragment from the credentials Secret, never from the ConfigMap", () => {
    const sources = pod.volumes!.find((v) => v.name === "config-source")!.projected!.sources!;
    expect(sources[0]!.configMap!.name).toBe("orders-config");
    expect(sources[1]!.secret).toMatchObject({ name: "orders-credentials", items: [{ key: "default_user.conf", path: "40-default-user.conf" }] });
  });

  it("runs the agent sidecar with the token from the credentials Secret", () => {
    const agent = pod.containers.find((c) => c.name === AGENT_CONTAINER)!;
    expect(agent.command).toEqual(["steward", "agent", "rabbitmq-sidecar"]);
    expect(agent.env?.find((e) => e.name === "STEWARD_AGENT_TOKEN")?.valueFrom?.secretKeyRef).toEqual({ name: "orders-credentials", key: "agent-token" });
    expect(build({}, { agentCommand: ["node", "main.js"] }).spec!.template.spec!.containers[1]!.command).toEqual(["node", "main.js"]);
  });

  it("spreads nodes over hosts and keeps the API token out of the pods", () => {
    expect(pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.podAffinityTerm.topologyKey).toBe("kubernetes.io/hostname");
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("keeps the claim template's size once created (volumes grow by patching each claim)", () => {
    expect(build({ storage: { size: "5Gi" } }, { existingClaimSize: "1Gi" }).spec!.volumeClaimTemplates![0]!.spec!.resources!.requests!.storage).toBe("1Gi");
  });

  it("changes the pod template (and so rolls the nodes) on a config change but not on a scale change", () => {
    const base = podConfigHash(testCluster());
    expect(podConfigHash(testCluster({ replicas: 5 }))).toBe(base);
    expect(podConfigHash(testCluster({ config: { heartbeat: "30" } }))).not.toBe(base);
    expect(build().spec!.template.metadata!.annotations![CONFIG_HASH_ANNOTATION]).toBe(base);
    expect(build({ replicas: 5 }, { replicas: 5 }).spec!.template).toEqual(build().spec!.template);
  });

  it("limits the VM's schedulers to the CPU limit", () => {
    const limited = build({ resources: { limits: { cpu: "1", memory: "1Gi" } } });
    const vmArgs = limited.spec!.template.spec!.containers[0]!.env!.find((e) => e.name === "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS");
    expect(vmArgs?.value).toContain("+S 1:1");
    expect(limited.spec!.template.spec!.containers[0]!.resources).toEqual({ limits: { cpu: "1", memory: "1Gi" } });
  });

  it("runs a restore's init containers before setup when the cluster is bootstrapped", () => {
    const withRestore = build({}, { extraInitContainers: [{ name: "restore", image: "steward:test" }] });
    expect(withRestore.spec!.template.spec!.initContainers!.map((c) => c.name)).toEqual(["restore", "setup"]);
  });

  it("deletes the volumes with the cluster only when deletionPolicy says so", () => {
    expect(sts.spec!.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
    expect(build({ deletionPolicy: "DeleteData" }).spec!.persistentVolumeClaimRetentionPolicy!.whenDeleted).toBe("Delete");
  });
});
