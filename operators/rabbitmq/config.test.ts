import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildTlsInstallScript,
  buildTlsReloadScript,
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

  it("serves AMQPS and HTTPS with the cluster's certificate beside plaintext when TLS is enabled, clients unverified (password auth)", () => {
    const conf = buildStewardConf(names, { tls: { enabled: true, required: false } });
    expect(conf).toContain("listeners.tcp.default = 5672");
    expect(conf).toContain("management.tcp.port = 15672");
    for (const line of [
      "listeners.ssl.default = 5671",
      "ssl_options.cacertfile = /etc/rabbitmq/tls/current/ca.crt",
      "ssl_options.certfile = /etc/rabbitmq/tls/current/tls.crt",
      "ssl_options.keyfile = /etc/rabbitmq/tls/current/tls.key",
      "ssl_options.verify = verify_none",
      "ssl_options.fail_if_no_peer_cert = false",
      "management.ssl.port = 15671",
      "management.ssl.certfile = /etc/rabbitmq/tls/current/tls.crt",
      "management.ssl.keyfile = /etc/rabbitmq/tls/current/tls.key",
      "management.ssl.cacertfile = /etc/rabbitmq/tls/current/ca.crt",
    ])
      expect(conf).toContain(`${line}\n`);
  });

  it("opens no plaintext AMQP or HTTP listener with spec.tls.required (Prometheus stays HTTP)", () => {
    const conf = buildStewardConf(names, { tls: { enabled: true, required: true } });
    expect(conf).toContain("listeners.tcp = none\n");
    expect(conf).not.toContain("listeners.tcp.default");
    expect(conf).not.toContain("management.tcp");
    expect(conf).toContain("listeners.ssl.default = 5671");
    expect(conf).toContain("prometheus.tcp.port = 15692");
  });

  it("has no TLS listener when TLS is off", () => {
    const conf = buildStewardConf(names, { tls: { enabled: false, required: false } });
    expect(conf).not.toContain("ssl");
    expect(conf).toContain("listeners.tcp.default = 5672");
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
    ["ssl_options.certfile", true],
    ["ssl_options.verify", true],
    ["ssl_options.versions.1", false],
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

describe("the TLS install script (run by sh on real files)", () => {
  const root = mkdtempSync(join(tmpdir(), "steward-rabbitmq-tls-"));
  const paths = { source: join(root, "secret"), dir: join(root, "live") };
  const script = join(root, "install.sh");
  writeFileSync(script, buildTlsInstallScript(paths));
  execFileSync("mkdir", ["-p", paths.source, paths.dir]);
  const secret = (cert: string) => {
    for (const [file, content] of [["tls.crt", cert], ["tls.key", `key of ${cert}`], ["ca.crt", "ca"]]) writeFileSync(join(paths.source, file!), content!);
  };
  const run = () => execFileSync("sh", [script], { encoding: "utf8" });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("copies the Secret behind the `current` link, the key owner-only, and marks a reload pending", () => {
    secret("first");
    expect(run()).toContain("installed the TLS certificate");
    expect(readFileSync(join(paths.dir, "current", "tls.crt"), "utf8")).toBe("first");
    expect(statSync(join(paths.dir, "current", "tls.key")).mode & 0o777).toBe(0o400);
    expect(existsSync(join(paths.dir, ".reload-pending"))).toBe(true);
  });

  it("copies nothing when the files are the same, and swaps the whole directory when they change", () => {
    rmSync(join(paths.dir, ".reload-pending"));
    const before = readlinkSync(join(paths.dir, "current"));
    expect(run()).toBe("");
    expect(existsSync(join(paths.dir, ".reload-pending"))).toBe(false);
    secret("second");
    run();
    const after = readlinkSync(join(paths.dir, "current"));
    expect(after).not.toBe(before);
    expect(readFileSync(join(paths.dir, "current", "tls.key"), "utf8")).toBe("key of second");
    // The former copy is gone: only the current one stays.
    expect(execFileSync("ls", [paths.dir], { encoding: "utf8" }).trim().split("\n")).toEqual(["current", after]);
    expect(existsSync(join(paths.dir, ".reload-pending"))).toBe(true);
  });

  it("reloads only when a copy is pending, by clearing the node's PEM cache", () => {
    const reload = buildTlsReloadScript();
    expect(reload).toContain("if [ -f /etc/rabbitmq/tls/.reload-pending ]; then");
    expect(reload).toContain(`rabbitmqctl -q -l -n "$1" eval 'ssl:clear_pem_cache().'`);
    expect(reload.indexOf("installed the TLS certificate")).toBeLessThan(reload.indexOf("clear_pem_cache"));
  });
});
