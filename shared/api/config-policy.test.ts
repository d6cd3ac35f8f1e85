import { describe, expect, it } from "vitest";
import { isDeniedConfigKey } from "./config-policy.js";

describe("spec.config keys the API server refuses", () => {
  it.each([
    ["mysql", "skip-grant-tables"],
    ["mysql", "skip_grant_tables"],
    ["mysql", "loose-skip-grant-tables"],
    ["mysql", "SKIP-GRANT-TABLES"],
    ["mysql", "init_file"],
    ["mysql", "plugin-load"],
    ["mysql", "plugin_load_add"],
    ["mysql", "secure_file_priv"],
    ["mysql", "skip-log-bin"],
    ["mysql", "log_bin"],
    ["mysql", "server-id"],
    ["mysql", "gtid_domain_id"],
    ["mysql", "rpl_semi_sync_master_timeout"],
    ["mysql", "skip-networking"],
    ["mysql", "datadir"],
    ["redis", "rename-command"],
    ["redis", "ENABLE-DEBUG-COMMAND"],
    ["redis", "enable-module-command"],
    ["redis", "replicaof"],
    ["redis", "masterauth"],
    ["redis", "dir"],
    ["redis", "dbfilename"],
    ["redis", "cluster-enabled"],
    ["rabbitmq", "default_user"],
    ["rabbitmq", "loopback_users.guest"],
    ["rabbitmq", "auth_backends.1"],
    ["rabbitmq", "listeners.tcp.default"],
    ["rabbitmq", "cluster_formation.peer_discovery_backend"],
    ["rabbitmq", "ssl_options.keyfile"],
    ["rabbitmq", "ssl_options.verify"],
  ])("refuses %s %s", (engine, key) => {
    expect(isDeniedConfigKey(engine, key)).toBe(true);
  });

  it.each([
    ["mysql", "max_connections"],
    ["mysql", "log_bin_trust_function_creators"],
    ["mysql", "innodb_buffer_pool_instances"],
    ["mysql", "character-set-server"],
    ["redis", "maxmemory-policy"],
    ["redis", "appendonly"],
    ["rabbitmq", "channel_max"],
    ["rabbitmq", "vm_memory_high_watermark.relative"],
    ["rabbitmq", "listeners_extra"],
    ["rabbitmq", "ssl_options.versions.1"],
  ])("accepts %s %s", (engine, key) => {
    expect(isDeniedConfigKey(engine, key)).toBe(false);
  });

  it("holds the redis write quorum only while failover.dataLoss is none", () => {
    expect(isDeniedConfigKey("redis", "min-replicas-to-write", "none")).toBe(true);
    expect(isDeniedConfigKey("redis", "min-replicas-to-write", "allowed")).toBe(false);
  });
});
