import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../shared/k8s/client.js";
import type { EngineContext } from "../engine.js";
import type { ClusterTls } from "../cluster/tls.js";
import { redisEngine } from "./engine.js";
import type { RedisPrepared } from "./heal-context.js";
import { buildStatefulSet } from "./resources/statefulset.js";
import { TEST_PASSWORDS, testInput } from "./resources/test-input.js";

const TLS: ClusterTls = { secretName: "cache-tls", required: true, caPem: "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n", issuer: "operator-ca" };

function context(spec: Record<string, unknown>, tls?: ClusterTls): EngineContext {
  return { ...testInput(spec), tls } as unknown as EngineContext;
}

/** A pod as its StatefulSet template makes it. */
function podOf(spec: Record<string, unknown>, name: string): KubeObject {
  const set = buildStatefulSet({ ...testInput(spec), usersConf: "", agentImage: "steward:test" }) as unknown as { spec: { template: { spec: unknown } } };
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "shop" }, spec: set.spec.template.spec } as KubeObject;
}

const prepared = (pods: KubeObject[]): RedisPrepared => ({ passwords: TEST_PASSWORDS, pods }) as unknown as RedisPrepared;
const engine = redisEngine({ agentImage: "steward:test", identity: "test" });

describe("the Redis engine with spec.tls", () => {
  it("gives applications rediss:// on the TLS port with ca.crt, and redis:// on 6379 without TLS", () => {
    const secure = engine.connection(context({ tls: { enabled: true, required: true } }, TLS), prepared([]));
    expect(secure).toMatchObject({ host: "cache-primary.shop.svc", port: 6380, ca: TLS.caPem });
    expect(secure.uri).toBe(`rediss://app:${TEST_PASSWORDS.app}@cache-primary.shop.svc:6380/0`);
    expect(engine.endpoints(context({}, TLS))).toEqual({ primary: "cache-primary.shop.svc:6380", readOnly: "cache-replicas.shop.svc:6380" });
    const plain = engine.connection(context({ tls: { enabled: false, required: false } }), prepared([]));
    expect(plain).toMatchObject({ port: 6379, ca: undefined });
    expect(plain.uri).toMatch(/^redis:\/\/app:.*:6379\/0$/);
  });

  it("reaches an instance over verified TLS, falling back to plaintext only for a pod made before TLS was on", () => {
    const tlsPod = podOf({}, "cache-0");
    const oldPod = podOf({ tls: { enabled: false, required: false } }, "cache-1");
    const endpoint = (pod: string) => engine.endpoint(context({}, TLS), prepared([tlsPod, oldPod]), pod);
    expect(endpoint("cache-0")).toMatchObject({ host: "cache-0.cache-headless.shop.svc.cluster.local", username: "steward", tls: { ca: TLS.caPem, port: 6380, plaintextFallback: false } });
    expect(endpoint("cache-1").tls).toMatchObject({ plaintextFallback: true });
    // No pod object (not listed yet): no fallback either.
    expect(endpoint("cache-2").tls).toMatchObject({ plaintextFallback: false });
    expect(engine.endpoint(context({ tls: { enabled: false, required: false } }), prepared([]), "cache-0").tls).toBeUndefined();
  });

  it("declares that it serves spec.tls", () => {
    expect(engine.servesTls).toBe(true);
  });
});
