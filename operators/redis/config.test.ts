import { describe, expect, it } from "vitest";
import { buildProbeCommand, buildRedisConf, buildStartCommand, buildUsersConf, checkConfig, configHash, writeQuorum } from "./config.js";

const spec = (overrides: Partial<Parameters<typeof buildRedisConf>[0]> = {}) => ({ replicas: 3, failover: { delaySeconds: 5, dataLoss: "none" as const }, config: undefined, ...overrides });

describe("buildRedisConf", () => {
  it("persists with AOF everysec plus RDB snapshots, keeps data in /data and includes the users last", () => {
    const conf = buildRedisConf(spec());
    const lines = conf.trim().split("\n");
    expect(lines).toContain("appendonly yes");
    expect(lines).toContain("appendfsync everysec");
    expect(lines).toContain("save 3600 1 300 100 60 10000");
    expect(lines).toContain("dir /data");
    expect(lines).toContain("daemonize no");
    expect(lines.at(-1)).toBe("include /etc/steward/redis-auth/users.conf");
    expect(conf).not.toMatch(/^bind /m);
    expect(conf).not.toMatch(/^replicaof /m);
  });

  it("sets the write quorum only with dataLoss none and more than one instance", () => {
    expect(buildRedisConf(spec())).toMatch(/^min-replicas-to-write 1$/m);
    expect(buildRedisConf(spec())).toMatch(/^min-replicas-max-lag 10$/m);
    expect(buildRedisConf(spec({ failover: { delaySeconds: 5, dataLoss: "allowed" } }))).not.toMatch(/min-replicas-to-write/);
    expect(buildRedisConf(spec({ replicas: 1 }))).not.toMatch(/min-replicas-to-write/);
    expect(writeQuorum(spec())).toEqual({ minReplicas: 1, maxLag: 10 });
  });

  it("lets spec.config replace defaults (case-insensitively) and add settings, sorted", () => {
    const conf = buildRedisConf(spec({ config: { appendonly: "no", "Maxmemory": "100mb", "maxmemory-policy": "allkeys-lru", "min-replicas-max-lag": "5" } }));
    expect(conf).toMatch(/^appendonly no$/m);
    expect(conf).not.toMatch(/^appendonly yes$/m);
    expect(conf).toMatch(/^maxmemory 100mb$/m);
    expect(conf.match(/^maxmemory-policy /gm)).toHaveLength(1);
    expect(conf.match(/^min-replicas-max-lag /gm)).toHaveLength(1);
    expect(conf).toMatch(/^min-replicas-max-lag 5$/m);
  });

  it("is stable: the same spec gives the same bytes and hash", () => {
    expect(buildRedisConf(spec({ config: { b: "1", a: "2" } }))).toBe(buildRedisConf(spec({ config: { a: "2", b: "1" } })));
    expect(configHash("a", "b")).toBe(configHash("a", "b"));
    expect(configHash("a", "b")).not.toBe(configHash("ab", ""));
  });
});

describe("buildRedisConf with spec.tls", () => {
  const tls = (required: boolean) => buildRedisConf(spec({ tls: { enabled: true, required } })).trim().split("\n");

  it("serves the mounted certificate on the TLS port, server authentication only, and replicates over TLS", () => {
    const lines = tls(false);
    expect(lines).toContain("port 6379");
    expect(lines).toContain("tls-port 6380");
    expect(lines).toContain("tls-cert-file /etc/steward/tls/tls.crt");
    expect(lines).toContain("tls-key-file /etc/steward/tls/tls.key");
    expect(lines).toContain("tls-ca-cert-file /etc/steward/tls/ca.crt");
    expect(lines).toContain("tls-auth-clients no");
    expect(lines).toContain("tls-replication yes");
    expect(lines.at(-1)).toBe("include /etc/steward/redis-auth/users.conf");
  });

  it("closes the plaintext port when TLS is required", () => {
    expect(tls(true)).toContain("port 0");
    expect(tls(true)).not.toContain("port 6379");
    expect(tls(true)).toContain("tls-port 6380");
  });

  it("has no TLS at all when disabled (or not given)", () => {
    for (const conf of [buildRedisConf(spec({ tls: { enabled: false, required: false } })), buildRedisConf(spec())]) {
      expect(conf).toMatch(/^port 6379$/m);
      expect(conf).not.toMatch(/^tls-/m);
    }
  });
});

describe("checkConfig", () => {
  it.each([
    [{ bind: "0.0.0.0" }, /spec.config.bind is managed by Steward/],
    [{ REQUIREPASS: "x" }, /spec.config.REQUIREPASS is managed/],
    [{ replicaof: "x 1" }, /managed/],
    [{ "min-replicas-to-write": "0" }, /dataLoss is none/],
    [{ maxmemory: "1gb\ninclude /etc/passwd" }, /line break/],
    [{ "tls-port": "6390" }, /spec.config.tls-port is managed/],
    [{ "TLS-Replication": "no" }, /managed/],
    [{ "tls-auth-clients": "yes" }, /managed/],
  ])("refuses %j", (config, message) => {
    expect(checkConfig(spec({ config }))).toMatch(message);
  });

  it("accepts ordinary settings, and the write quorum when data loss is allowed", () => {
    expect(checkConfig(spec({ config: { maxmemory: "1gb", "hz": "20", "tls-protocols": "TLSv1.3" } }))).toBeUndefined();
    expect(checkConfig(spec({ config: { "min-replicas-to-write": "2" }, failover: { delaySeconds: 1, dataLoss: "allowed" } }))).toBeUndefined();
  });
});

describe("buildUsersConf", () => {
  const conf = buildUsersConf("app", { operator: "op-secret", replication: "repl-secret", app: "app-secret" });

  it("switches the default user off and stores only hashes, except masterauth", () => {
    expect(conf).toMatch(/^user default off /m);
    expect(conf).toMatch(/^masteruser replication$/m);
    expect(conf).toMatch(/^masterauth repl-secret$/m);
    expect(conf).not.toContain("op-secret");
    expect(conf).not.toContain("app-secret");
    expect(conf.match(/repl-secret/g)).toHaveLength(1);
    expect(conf).toMatch(/^user steward on #[0-9a-f]{64} ~\* &\* \+@all$/m);
  });

  it("gives the application user data commands without administration, and the probe only PING", () => {
    expect(conf).toMatch(/^user app on #[0-9a-f]{64} ~\* &\* \+@all -@admin$/m);
    expect(conf).toMatch(/^user probe on nopass resetkeys resetchannels -@all \+ping$/m);
    expect(conf).toMatch(/^user replication on #[0-9a-f]{64} resetkeys resetchannels -@all \+psync \+sync \+replconf \+ping \+info$/m);
  });
});

describe("container commands", () => {
  it("starts redis-server bound to the pod IP, announcing its DNS name, as a replica of the primary Service", () => {
    const [shell, flag, script] = buildStartCommand("db-primary.ns.svc.cluster.local");
    expect([shell, flag]).toEqual(["sh", "-c"]);
    expect(script).toContain('--bind "$POD_IP"');
    expect(script).toContain('--replica-announce-ip "$announce"');
    expect(script).toContain("--replicaof db-primary.ns.svc.cluster.local 6379");
    expect(script).toMatch(/^exec redis-server \/etc\/steward\/redis\/redis.conf/m);
  });

  it("starts following the primary Service's TLS port when given it", () => {
    expect(buildStartCommand("db-primary.ns.svc.cluster.local", 6380)[2]).toContain("--replicaof db-primary.ns.svc.cluster.local 6380");
  });

  it("probes the TLS port verifying the server with the cluster's CA when TLS is on", () => {
    expect(buildProbeCommand("readiness", true)[2]).toContain('--tls --cacert /etc/steward/tls/ca.crt -h "$POD_IP" -p 6380 ping');
    expect(buildProbeCommand("readiness")[2]).toContain('-h "$POD_IP" -p 6379 ping');
  });

  it("probes with the password-less probe user; only liveness accepts LOADING", () => {
    expect(buildProbeCommand("readiness")[2]).toContain('case "$reply" in PONG)');
    expect(buildProbeCommand("liveness")[2]).toContain("PONG|LOADING*)");
    expect(buildProbeCommand("readiness")[2]).toContain("--user probe");
  });
});
