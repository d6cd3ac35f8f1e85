import type { V1StatefulSet } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { IMAGE_BINARIES } from "../../../local/runtime/image-binaries.js";
import { buildStatefulSet } from "./statefulset.js";
import { EXPORTER_CONTAINER, REDIS_EXPORTER_BINARY, REDIS_EXPORTER_IMAGE } from "./metrics-exporter.js";
import { testInput } from "./test-input.js";

describe("redis exporter sidecar", () => {
  const set = buildStatefulSet({ ...testInput(), usersConf: "", agentImage: "steward:test" }) as unknown as V1StatefulSet;
  const exporter = set.spec!.template.spec!.containers.find((container) => container.name === EXPORTER_CONTAINER)!;

  it("runs the pinned image on the pod's metrics port, with no readiness probe to take the database out of its Services", () => {
    expect(exporter.image).toBe(REDIS_EXPORTER_IMAGE);
    expect(exporter.image).toMatch(/:v\d+\.\d+\.\d+$/);
    expect(exporter.ports).toEqual([{ name: "metrics", containerPort: 9121, protocol: "TCP" }]);
    expect(exporter.readinessProbe).toBeUndefined();
    expect(IMAGE_BINARIES[REDIS_EXPORTER_BINARY]).toBe("/usr/bin/prometheus-redis-exporter");
  });

  it("takes the password from the credentials Secret into the environment, never an argument", () => {
    expect(exporter.env?.find((variable) => variable.name === "REDIS_PASSWORD")?.valueFrom?.secretKeyRef).toEqual({ name: "cache-credentials", key: "operator" });
    expect([...(exporter.command ?? []), ...(exporter.args ?? [])].join(" ")).not.toMatch(/password|redis:\/\//i);
  });

  it("with TLS reads the TLS port by the pod's DNS name (what the certificate names), verifying with the mounted CA", () => {
    const env = (container: typeof exporter, name: string) => container.env?.find((variable) => variable.name === name)?.value;
    expect(env(exporter, "REDIS_ADDR")).toBe("rediss://$(POD_NAME).cache-headless.shop.svc.cluster.local:6380");
    expect(env(exporter, "REDIS_EXPORTER_TLS_CA_CERT_FILE")).toBe("/etc/steward/tls/ca.crt");
    expect(exporter.volumeMounts).toEqual([{ name: "tls", mountPath: "/etc/steward/tls", readOnly: true }]);
    const plain = (buildStatefulSet({ ...testInput({ tls: { enabled: false, required: false } }), usersConf: "", agentImage: "steward:test" }) as unknown as V1StatefulSet).spec!.template.spec!.containers.find((container) => container.name === EXPORTER_CONTAINER)!;
    expect(env(plain, "REDIS_ADDR")).toBe("redis://$(POD_IP):6379");
    expect(env(plain, "REDIS_EXPORTER_TLS_CA_CERT_FILE")).toBeUndefined();
  });
});
