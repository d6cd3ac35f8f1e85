/**
 * Given the CRDs installed on the real kube-apiserver, when a user submits a bad resource,
 * then the API server refuses it with a message that names the field to fix — before any
 * operator sees it.
 */
import { describe, expect, it } from "vitest";
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { useTestNamespace } from "./runtime-fixtures.js";

const test = useTestNamespace("validation", { crds: true });

const cluster = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "steward.dev/v1alpha1",
  kind: "DatabaseCluster",
  metadata: { name, namespace: test.namespace },
  spec,
});

async function refusal(object: KubeObject): Promise<string> {
  try {
    await test.client.create(object);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error(`${object.kind} ${object.metadata.name} was accepted`);
}

async function updateRefusal(type: typeof RESOURCES.DatabaseCluster, name: string, patch: unknown): Promise<string> {
  try {
    await test.client.mergePatch(type, test.namespace, name, patch);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error(`the patch of ${name} was accepted`);
}

describe("a DatabaseCluster the API server refuses at creation", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["an unknown engine", { engine: "postgres" }, /spec\.engine.*Unsupported value: "postgres"/],
    ["no engine", { replicas: 3 }, /spec\.engine.*Required value: set engine, or template/],
    ["zero replicas", { engine: "redis", replicas: 0 }, /spec\.replicas.*should be greater than or equal to 1/],
    ["too many replicas", { engine: "redis", replicas: 99 }, /spec\.replicas.*should be less than or equal to 15/],
    ["an even MongoDB replica count", { engine: "mongodb", replicas: 4 }, /spec\.replicas.*mongodb needs an odd number/],
    ["a flavor on a non-mysql engine", { engine: "redis", flavor: "mariadb" }, /spec\.flavor.*only for engine mysql/],
    ["an unknown flavor", { engine: "mysql", flavor: "percona" }, /spec\.flavor.*Unsupported value: "percona"/],
    ["a storage size that is not a quantity", { engine: "redis", storage: { size: "ten gigs" } }, /spec\.storage\.size.*quantity/],
    ["a cron schedule with minute 61", { engine: "mysql", backup: { storage: "s3", schedule: "61 * * * *" } }, /spec\.backup\.schedule.*five-field cron expression/],
    ["a schedule with six fields", { engine: "mysql", backup: { storage: "s3", schedule: "0 0 3 * * *" } }, /spec\.backup\.schedule.*five-field cron expression/],
    ["a backup policy without storage", { engine: "mysql", backup: { schedule: "@daily" } }, /spec\.backup\.storage: Required value/],
    ["a malformed retention age", { engine: "mysql", backup: { storage: "s3", retention: { maxAge: "30 days" } } }, /spec\.backup\.retention\.maxAge/],
    ["keepLast of zero", { engine: "mysql", backup: { storage: "s3", retention: { keepLast: 0 } } }, /spec\.backup\.retention\.keepLast/],
    ["point in time for redis", { engine: "redis", backup: { storage: "s3", pointInTime: { enabled: true } } }, /spec\.backup\.pointInTime.*mysql and mongodb only/],
    ["physical backups for redis", { engine: "redis", backup: { storage: "s3", method: "physical" } }, /spec\.backup\.method.*physical is available for mysql only/],
    ["incremental copies without method physical", { engine: "mysql", backup: { storage: "s3", schedule: "0 3 * * 0", incrementalSchedule: "0 3 * * 1-6" } }, /spec\.backup\.incrementalSchedule.*needs method: physical/],
    ["an incremental schedule that is not cron", { engine: "mysql", backup: { storage: "s3", method: "physical", incrementalSchedule: "daily at 3" } }, /spec\.backup\.incrementalSchedule.*five-field cron expression/],
    ["a negative failover delay", { engine: "mysql", failover: { delaySeconds: -1 } }, /spec\.failover\.delaySeconds/],
    ["an unknown dataLoss policy", { engine: "mysql", failover: { dataLoss: "some" } }, /spec\.failover\.dataLoss.*Unsupported value/],
    ["a version that is not a version", { engine: "mysql", version: "latest" }, /spec\.version/],
    ["a database on a redis cluster", { engine: "redis", database: "shop" }, /spec\.database.*only for engine mysql/],
    ["a bootstrap source naming both a backup and a cluster", { engine: "mysql", bootstrap: { source: { backup: "b1", cluster: "c1", pointInTime: "2026-11-25T10:00:00Z" } } }, /spec\.bootstrap\.source.*exactly one of backup or cluster/],
    ["a point in time that is not RFC 3339", { engine: "mysql", bootstrap: { source: { cluster: "c1", pointInTime: "yesterday" } } }, /spec\.bootstrap\.source\.pointInTime/],
    ["an unknown deletion policy", { engine: "redis", deletionPolicy: "Shred" }, /spec\.deletionPolicy.*Unsupported value/],
    ["TLS required but switched off", { engine: "mysql", tls: { enabled: false, required: true } }, /spec\.tls.*required: true needs enabled: true/],
    ["a TLS issuer naming both a Secret and cert-manager", { engine: "mysql", tls: { issuer: { secretName: "ca", certManager: { issuerRef: { name: "x" } } } } }, /spec\.tls\.issuer.*exactly one of secretName or certManager/],
    ["a TLS issuer naming neither", { engine: "mysql", tls: { issuer: {} } }, /spec\.tls\.issuer.*exactly one of secretName or certManager/],
    ["a cert-manager issuer of an unknown kind", { engine: "mysql", tls: { issuer: { certManager: { issuerRef: { name: "x", kind: "Vault" } } } } }, /spec\.tls\.issuer\.certManager\.issuerRef\.kind.*Unsupported value/],
  ];

  it.each(cases)("refuses %s, naming the field", async (_what, spec, expected) => {
    const message = await refusal(cluster(`bad-${Math.random().toString(36).slice(2, 8)}`, spec));
    expect(message).toMatch(expected);
  });

  // Engine settings that would turn off authentication, load code, move files or take over
  // what the operator sets; and resources that are no quantity. The message names the key.
  const hardening: [string, Record<string, unknown>, RegExp][] = [
    ["skip-grant-tables on mariadb", { engine: "mysql", flavor: "mariadb", config: { "skip-grant-tables": "ON" } }, /spec\.config.*spec\.config\.skip-grant-tables is refused for mysql/],
    ["loose_skip_grant_tables (another spelling)", { engine: "mysql", config: { loose_skip_grant_tables: "1" } }, /spec\.config\.loose_skip_grant_tables is refused/],
    ["init-file", { engine: "mysql", config: { "init-file": "/tmp/evil.sql" } }, /spec\.config\.init-file is refused/],
    ["plugin-load-add", { engine: "mysql", config: { plugin_load_add: "auth_test_plugin.so" } }, /spec\.config\.plugin_load_add is refused/],
    ["secure-file-priv", { engine: "mysql", config: { "secure-file-priv": "" } }, /spec\.config\.secure-file-priv is refused/],
    ["server-id, owned by the operator", { engine: "mysql", config: { server_id: "7" } }, /spec\.config\.server_id is refused/],
    ["disable-log-bin", { engine: "mysql", config: { "disable-log-bin": "1" } }, /spec\.config\.disable-log-bin is refused/],
    ["a gtid setting", { engine: "mysql", flavor: "mariadb", config: { gtid_strict_mode: "OFF" } }, /spec\.config\.gtid_strict_mode is refused/],
    ["a config value with a newline", { engine: "mysql", config: { max_connections: "100\nskip-grant-tables" } }, /spec\.config\.max_connections.*should match/],
    ["a config key that is no setting name", { engine: "mysql", config: { "max connections": "100" } }, /spec\.config\.max connections is not a setting name/],
    ["rename-command on redis", { engine: "redis", config: { "rename-command": "CONFIG \"\"" } }, /spec\.config\.rename-command is refused for redis/],
    ["enable-debug-command on redis", { engine: "redis", config: { "Enable-Debug-Command": "yes" } }, /spec\.config\.Enable-Debug-Command is refused/],
    ["enable-module-command on redis", { engine: "redis", config: { "enable-module-command": "yes" } }, /spec\.config\.enable-module-command is refused/],
    ["loadmodule on redis", { engine: "redis", config: { loadmodule: "/tmp/evil.so" } }, /spec\.config\.loadmodule is refused/],
    ["replicaof on redis", { engine: "redis", config: { replicaof: "10.0.0.1 6379" } }, /spec\.config\.replicaof is refused/],
    ["masterauth on redis", { engine: "redis", config: { masterauth: "x" } }, /spec\.config\.masterauth is refused/],
    ["dir and dbfilename on redis", { engine: "redis", config: { dir: "/etc" } }, /spec\.config\.dir is refused/],
    ["min-replicas-to-write while dataLoss is none", { engine: "redis", config: { "min-replicas-to-write": "0" } }, /spec\.config\.min-replicas-to-write is set by Steward while failover\.dataLoss is none/],
    ["the default user on rabbitmq", { engine: "rabbitmq", config: { default_user: "guest" } }, /spec\.config\.default_user is refused for rabbitmq/],
    ["loopback_users on rabbitmq", { engine: "rabbitmq", config: { "loopback_users.guest": "false" } }, /spec\.config\.loopback_users\.guest is refused/],
    ["an auth backend on rabbitmq", { engine: "rabbitmq", config: { "auth_backends.1": "internal" } }, /spec\.config\.auth_backends\.1 is refused/],
    ["load_definitions on rabbitmq", { engine: "rabbitmq", config: { load_definitions: "/tmp/defs.json" } }, /spec\.config\.load_definitions is refused/],
    ["a listener on rabbitmq", { engine: "rabbitmq", config: { "listeners.tcp.default": "5673" } }, /spec\.config\.listeners\.tcp\.default is refused/],
    ["cpu: lots", { engine: "redis", resources: { requests: { cpu: "lots" } } }, /spec\.resources\.requests\.cpu.*cpu must be a non-negative quantity/],
    ["a memory limit that is no quantity", { engine: "redis", resources: { limits: { memory: "1 GB" } } }, /spec\.resources\.limits\.memory.*memory must be a non-negative quantity/],
    ["a negative cpu request", { engine: "redis", resources: { requests: { cpu: "-1" } } }, /spec\.resources\.requests\.cpu.*non-negative quantity/],
    ["a memory request above its limit", { engine: "mysql", resources: { requests: { memory: "2Gi" }, limits: { memory: "1Gi" } } }, /spec\.resources\.requests\.memory.*must not exceed limits\.memory/],
  ];

  it.each(hardening)("refuses %s, naming the key", async (_what, spec, expected) => {
    const message = await refusal(cluster(`bad-${Math.random().toString(36).slice(2, 8)}`, spec));
    expect(message).toMatch(expected);
  });

  it("accepts ordinary settings and quantities the same rules look at", async () => {
    const ok = await test.client.create<KubeObject & { spec: { config: Record<string, string> } }>(
      cluster("tuned", { engine: "mysql", config: { max_connections: "500", log_bin_trust_function_creators: "1", "innodb-buffer-pool-instances": "2" }, resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: 2, memory: "1Gi" } } }),
    );
    expect(ok.spec.config.max_connections).toBe("500");
    await test.client.create(cluster("tuned-redis", { engine: "redis", config: { "maxmemory-policy": "allkeys-lru", "min-replicas-to-write": "1" }, failover: { dataLoss: "allowed" } }));
    await test.client.create(cluster("tuned-rabbit", { engine: "rabbitmq", config: { channel_max: "1024", "vm_memory_high_watermark.relative": "0.6" } }));
    // A MongoDB copy restored from another cluster keeps its source's database name.
    await test.client.create(cluster("restored-mongo", { engine: "mongodb", database: "orders", bootstrap: { source: { backup: "orders-b1" } } }));
  });

  it("refuses a name too long for the pods and Services derived from it", async () => {
    const message = await refusal(cluster("a".repeat(41), { engine: "redis" }));
    expect(message).toMatch(/metadata\.name must be at most 40 characters/);
  });
});

describe("a DatabaseCluster the API server refuses to change", () => {
  it("keeps engine and flavor immutable, storage grow-only and rabbitmq scale-down explicit", async () => {
    await test.client.create(cluster("immutable", { engine: "mysql", flavor: "mariadb", storage: { size: "10Gi" } }));
    expect(await updateRefusal(RESOURCES.DatabaseCluster, "immutable", { spec: { engine: "redis", flavor: null } })).toMatch(/spec\.engine.*engine is immutable/);
    expect(await updateRefusal(RESOURCES.DatabaseCluster, "immutable", { spec: { flavor: "mysql" } })).toMatch(/spec\.flavor.*flavor is immutable/);
    expect(await updateRefusal(RESOURCES.DatabaseCluster, "immutable", { spec: { flavor: null } })).toMatch(/spec\.flavor.*flavor is immutable/);
    expect(await updateRefusal(RESOURCES.DatabaseCluster, "immutable", { spec: { storage: { size: "5Gi" } } })).toMatch(/spec\.storage\.size.*may grow but never shrink/);
    const grown = await test.client.mergePatch<KubeObject & { spec: { storage: { size: string } } }>(RESOURCES.DatabaseCluster, test.namespace, "immutable", { spec: { storage: { size: "20Gi" } } });
    expect(grown.spec.storage.size).toBe("20Gi");

    await test.client.create(cluster("rabbit", { engine: "rabbitmq", replicas: 5 }));
    expect(await updateRefusal(RESOURCES.DatabaseCluster, "rabbit", { spec: { replicas: 3 } })).toMatch(/spec\.replicas.*set allowScaleDown: true/);
    const scaled = await test.client.mergePatch<KubeObject & { spec: { replicas: number } }>(RESOURCES.DatabaseCluster, test.namespace, "rabbit", { spec: { replicas: 3, allowScaleDown: true } });
    expect(scaled.spec.replicas).toBe(3);
  });
});

describe("backups and restores the API server refuses", () => {
  it("refuses an in-place restore without confirmation, and a restore with two targets", async () => {
    const restore = (name: string, target: Record<string, unknown>): KubeObject => ({
      apiVersion: "steward.dev/v1alpha1",
      kind: "DatabaseRestore",
      metadata: { name, namespace: test.namespace },
      spec: { source: { backup: "orders-1" }, target },
    });
    expect(await refusal(restore("unconfirmed", { inPlace: true }))).toMatch(/spec\.target\.confirmOverwrite.*set confirmOverwrite: true/);
    expect(await refusal(restore("both", { inPlace: true, confirmOverwrite: true, newCluster: "copy" }))).toMatch(/spec\.target.*newCluster or inPlace, not both/);
    const accepted = await test.client.create<KubeObject & { spec: { target: { inPlace: boolean } } }>(restore("confirmed", { inPlace: true, confirmOverwrite: true }));
    expect(accepted.spec.target.inPlace).toBe(true);
  });

  it("refuses an incremental backup that is not physical, naming the field", async () => {
    const backup = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name, namespace: test.namespace }, spec: { cluster: "orders", ...spec } });
    expect(await refusal(backup("logical-incremental", { incremental: true }))).toMatch(/spec\.incremental.*incremental backups are physical/);
    const accepted = await test.client.create<KubeObject & { spec: { incremental: boolean } }>(backup("physical-incremental", { method: "physical", incremental: true }));
    expect(accepted.spec.incremental).toBe(true);
  });

  it("refuses a BackupStorage with an invalid bucket name or prefix", async () => {
    const storage = (name: string, s3: Record<string, unknown>): KubeObject => ({
      apiVersion: "steward.dev/v1alpha1",
      kind: "BackupStorage",
      metadata: { name, namespace: test.namespace },
      spec: { s3: { credentialsSecret: { name: "creds" }, ...s3 } },
    });
    expect(await refusal(storage("badbucket", { bucket: "Bad_Bucket" }))).toMatch(/spec\.s3\.bucket/);
    expect(await refusal(storage("badprefix", { bucket: "backups", prefix: "/abs" }))).toMatch(/spec\.s3\.prefix/);
    expect(await refusal(storage("nocreds", { bucket: "backups", credentialsSecret: undefined }))).toMatch(/spec\.s3\.credentialsSecret: Required value/);
  });
});
