import { describe, expect, it } from "vitest";
import {
  buildClusterFormationConf,
  buildDefaultUserConf,
  buildEnabledPlugins,
  buildSetupScript,
  buildStewardConf,
  buildUserConf,
  configProblems,
  erlangVmArgs,
  isManagedKey,
} from "./config.js";
import { rabbitmqNames } from "./names.js";

const names = rabbitmqNames({ metadata: { name: "orders", namespace: "shop" } });

describe("rabbitmq.conf fragments", () => {
  it("lists every desired node for classic_config peer discovery, with long names", () => {
    expect(buildClusterFormationConf(names, 3)).toBe(
      [
        "cluster_formation.peer_discovery_backend = classic_config",
        "cluster_formation.classic_config.nodes.1 = rabbit@orders-0.orders-headless.shop.svc.cluster.local",
        "cluster_formation.classic_config.nodes.2 = rabbit@orders-1.orders-headless.shop.svc.cluster.local",
        "cluster_formation.classic_config.nodes.3 = rabbit@orders-2.orders-headless.shop.svc.cluster.local",
        "",
      ].join("\n"),
    );
  });

  it("pauses the minority on a partition, logs to the console, and names the cluster", () => {
    const conf = buildStewardConf(names, {});
    expect(conf).toContain("cluster_partition_handling = pause_minority");
    expect(conf).toContain("cluster_name = orders");
    expect(conf).toContain("listeners.tcp.default = 5672");
    expect(conf).toContain("log.file = false");
    expect(conf).not.toContain("total_memory_available_override_value");
  });

  it("computes the memory watermark from the container's limit, not the host's memory", () => {
    expect(buildStewardConf(names, { resources: { limits: { memory: "2Gi" } } })).toContain("total_memory_available_override_value = 2147483648");
  });

  it("writes spec.config sorted, one key per line, without keys Steward manages", () => {
    expect(buildUserConf({ config: { "vm_memory_high_watermark.relative": "0.6", heartbeat: "30", "cluster_formation.x": "y" } })).toBe("heartbeat = 30\nvm_memory_high_watermark.relative = 0.6\n");
    expect(buildUserConf({})).toBe("");
  });

  it.each([
    ["cluster_formation.peer_discovery_backend", true],
    ["cluster_name", true],
    ["listeners.tcp.default", true],
    ["default_pass", true],
    ["load_definitions", true],
    ["heartbeat", false],
    ["cluster_partition_handling", false],
    ["listeners_extra", false],
  ])("%s is managed: %s", (key, managed) => {
    expect(isManagedKey(key)).toBe(managed);
  });

  it("names the offending spec.config keys", () => {
    expect(configProblems({ default_user: "x", heartbeat: "30" })).toEqual(["spec.config.default_user is set by Steward and cannot be overridden; remove it"]);
    expect(configProblems({ heartbeat: "30\nload_definitions = /etc/passwd" })).toEqual(["spec.config.heartbeat must be a single line"]);
    expect(configProblems(undefined)).toEqual([]);
  });

  it("creates the operator's administrator as the default user of a new cluster", () => {
    const conf = buildDefaultUserConf("s3cret");
    expect(conf).toContain("default_user = steward-admin");
    expect(conf).toContain("default_pass = s3cret");
    expect(conf).toContain("default_user_tags.administrator = true");
  });

  it("enables the management and Prometheus plugins", () => {
    expect(buildEnabledPlugins()).toBe("[rabbitmq_management,rabbitmq_prometheus].\n");
  });
});

describe("VM flags", () => {
  it("gives the VM one scheduler per whole core of the limit (at least one) and no busy waiting", () => {
    expect(erlangVmArgs({ resources: { limits: { cpu: "500m" } } })).toBe("+S 1:1 +sbwt none +sbwtdcpu none +sbwtdio none");
    expect(erlangVmArgs({ resources: { limits: { cpu: "2" } } })).toMatch(/^\+S 2:2 /);
    expect(erlangVmArgs({})).toBeUndefined();
  });
});

describe("the setup script", () => {
  const script = buildSetupScript();
  it("copies the cookie owner-only and gives the directories to the rabbitmq user when root", () => {
    expect(script).toContain("install $own -m 0400 /etc/steward/rabbitmq-cookie/.erlang.cookie /var/lib/rabbitmq/.erlang.cookie");
    expect(script).toContain('if [ "$(id -u)" = 0 ]; then own="-o rabbitmq -g rabbitmq"');
  });
  it("loads a restore's definitions only on a node without a database", () => {
    expect(script).toContain('if [ -f /var/lib/rabbitmq/mnesia/steward-restore/definitions.json ] && [ ! -d "/var/lib/rabbitmq/mnesia/$RABBITMQ_NODENAME" ]');
    expect(script).toContain("load_definitions = /var/lib/rabbitmq/mnesia/steward-restore/definitions.json");
  });
});
