import { describe, expect, it } from "vitest";
import { restrictedPodSpec } from "./pod-security.js";

describe("Pod Security restricted for a pod spec", () => {
  const pod = restrictedPodSpec(
    {
      securityContext: { fsGroup: 999, runAsUser: 999 },
      initContainers: [{ name: "init", image: "agent" }],
      containers: [
        { name: "engine", image: "db", securityContext: { runAsUser: 999, allowPrivilegeEscalation: true, capabilities: { add: ["SYS_ADMIN"] } } },
        { name: "writer", image: "db", securityContext: { readOnlyRootFilesystem: false } },
      ],
    },
    { apiAccess: false },
  );

  it("makes the pod non-root with the runtime's seccomp profile and no token, keeping its own user", () => {
    expect(pod.securityContext).toEqual({ fsGroup: 999, runAsUser: 999, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("drops every capability and privilege escalation from every container, init containers included, whatever they asked", () => {
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
      expect(container.securityContext?.capabilities).toEqual({ drop: ["ALL"] });
    }
  });

  it("makes the root filesystem read-only unless the container needs to write it", () => {
    expect(pod.initContainers?.[0]?.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(pod.containers[0]?.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(pod.containers[1]?.securityContext?.readOnlyRootFilesystem).toBe(false);
  });
});
