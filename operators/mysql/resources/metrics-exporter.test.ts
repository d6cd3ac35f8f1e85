import { describe, expect, it } from "vitest";
import { IMAGE_BINARIES } from "../../../local/runtime/image-binaries.js";
import { buildStatefulSet } from "./statefulset.js";
import { EXPORTER_CONTAINER, MYSQLD_EXPORTER_BINARY, MYSQLD_EXPORTER_IMAGE } from "./metrics-exporter.js";
import { testInput } from "./test-cluster.js";

describe("mysqld exporter sidecar", () => {
  const set = buildStatefulSet({ ...testInput(), engineImage: "mariadb:10.11", agentImage: "steward:dev" }) as unknown as {
    spec: { template: { spec: { containers: { name: string; image: string; command: string[]; args?: string[]; env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string } } }[]; ports: { name: string; containerPort: number }[]; readinessProbe?: unknown }[] } } };
  };
  const exporter = set.spec.template.spec.containers.find((container) => container.name === EXPORTER_CONTAINER)!;

  it("runs the pinned image on the pod's metrics port, with no readiness probe to take the database out of its Services", () => {
    expect(exporter.image).toBe(MYSQLD_EXPORTER_IMAGE);
    expect(exporter.image).toMatch(/:v\d+\.\d+\.\d+$/);
    expect(exporter.ports).toEqual([{ name: "metrics", containerPort: 9104, protocol: "TCP" }]);
    expect(exporter.readinessProbe).toBeUndefined();
    expect(IMAGE_BINARIES[MYSQLD_EXPORTER_BINARY]).toBe("/usr/bin/prometheus-mysqld-exporter");
  });

  it("takes the monitor password from the credentials Secret into the environment, never an argument", () => {
    expect(exporter.env.find((variable) => variable.name === "MYSQLD_EXPORTER_PASSWORD")?.valueFrom?.secretKeyRef?.key).toBe("monitor");
    expect(exporter.env.find((variable) => variable.name === "DATA_SOURCE_NAME")?.value).toBe("monitor:$(MYSQLD_EXPORTER_PASSWORD)@tcp($(POD_IP):3306)/");
    expect([...exporter.command, ...(exporter.args ?? [])].join(" ")).not.toMatch(/password|PASSWORD|@tcp/);
  });
});
