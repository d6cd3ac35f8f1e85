import { describe, expect, it } from "vitest";
import { buildMyCnf, buildStartScript, bufferPoolBytes, ignoredSettings, semiSyncTimeoutMs } from "./config.js";

const base = { flavor: "mariadb" as const, failover: { delaySeconds: 5, dataLoss: "none" as const }, replicas: 3 };

describe("my.cnf", () => {
  it("starts every instance read-only with GTID binary logs, durable commits and the semi-sync replica side only", () => {
    const cnf = buildMyCnf(base);
    for (const line of ["[mariadbd]", "read-only=ON", "log-bin=mysql-bin", "log-slave-updates=ON", "gtid-strict-mode=ON", "sync-binlog=1", "innodb-flush-log-at-trx-commit=1", "skip-name-resolve=ON", "rpl-semi-sync-slave-enabled=ON", "rpl-semi-sync-master-enabled=OFF", "rpl-semi-sync-master-wait-point=AFTER_SYNC", "datadir=/var/lib/mysql/data", "socket=/run/mysqld/mysqld.sock"]) {
      expect(cnf).toContain(`${line}\n`);
    }
    expect(cnf).not.toMatch(/bind-address|server-id/);
  });
  it("serves the mounted certificate with spec.tls, and refuses plaintext TCP clients when required", () => {
    const tlsLines = ["ssl-ca=/etc/steward/tls/ca.crt", "ssl-cert=/etc/steward/tls/tls.crt", "ssl-key=/etc/steward/tls/tls.key"];
    const optional = buildMyCnf({ ...base, tls: { enabled: true, required: false } });
    for (const line of tlsLines) expect(optional).toContain(`${line}\n`);
    expect(optional).not.toContain("require-secure-transport");
    expect(buildMyCnf({ ...base, tls: { enabled: true, required: true } })).toContain("require-secure-transport=ON\n");
    expect(buildMyCnf({ ...base, tls: { enabled: false, required: false } })).not.toContain("ssl-");
    expect(buildMyCnf({ ...base, tls: { enabled: true, required: false }, config: { require_secure_transport: "OFF", ssl_key: "/x" } })).not.toMatch(/require_secure_transport|ssl_key/);
  });
  it("waits for acknowledgements practically forever with dataLoss none, 2 s with allowed", () => {
    expect(semiSyncTimeoutMs({ failover: { delaySeconds: 1, dataLoss: "none" } })).toBe(4_294_967_295);
    expect(buildMyCnf({ ...base, failover: { delaySeconds: 1, dataLoss: "allowed" } })).toContain("rpl-semi-sync-master-timeout=2000\n");
  });
  it("appends the user's settings but never lets them override what replication relies on", () => {
    const spec = { ...base, config: { max_connections: "500", read_only: "OFF", "server-id": "9", log_bin: "off" } };
    const cnf = buildMyCnf(spec);
    expect(cnf).toContain("# spec.config\nmax_connections=500\n");
    expect(cnf).not.toMatch(/read_only=OFF|server-id=9|log_bin=off/);
    expect(ignoredSettings(spec).sort()).toEqual(["log_bin", "read_only", "server-id"]);
  });
  it("sizes the buffer pool at half the memory", () => {
    expect(bufferPoolBytes({ resources: { limits: { memory: "2Gi" } } })).toBe(1024 * 1024 * 1024);
    expect(bufferPoolBytes({ resources: { requests: { memory: "100Mi" } } })).toBe(128 * 1024 * 1024);
    expect(bufferPoolBytes({})).toBeUndefined();
  });
  it("writes the mysql 8.4 names (not exercised end to end here)", () => {
    const cnf = buildMyCnf({ ...base, flavor: "mysql" });
    for (const line of ["[mysqld]", "gtid-mode=ON", "enforce-gtid-consistency=ON", "super-read-only=ON", "plugin-load-add=semisync_source.so", "plugin-load-add=mysql_clone.so", "rpl-semi-sync-replica-enabled=ON", "replica-net-timeout=4"]) {
      expect(cnf).toContain(`${line}\n`);
    }
  });
});

describe("start.sh", () => {
  it("initializes or applies a seed position once, then execs the server on the pod IP with a server-id from the ordinal", () => {
    const script = buildStartScript({ flavor: "mariadb" });
    expect(script).toContain('server_id=$((ordinal + 1))');
    expect(script).toContain("mariadb-install-db --defaults-file=/etc/steward/mysql/my.cnf");
    expect(script).toContain('--bootstrap --log-warnings=0 < "/var/lib/mysql/steward/initialize.sql"');
    expect(script).toContain('rm -f "/var/lib/mysql/steward/seed.sql"');
    expect(script.trimEnd().split("\n").pop()).toBe('exec $drop mariadbd --defaults-file=/etc/steward/mysql/my.cnf --user=mysql --server-id="$server_id" --bind-address="${POD_IP}" --report-host="${POD_NAME}"');
    // Started as root, it keeps the group that may read the TLS key (the pod's fsGroup) when it drops to mysql.
    expect(script).toContain('drop="setpriv --reuid=mysql --regid=mysql --groups=$(stat -L -c %g "/etc/steward/tls/tls.key")"');
  });
});
