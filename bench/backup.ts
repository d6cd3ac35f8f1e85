/**
 * Backup and restore throughput of the agent next to the raw tools on the same data, and the
 * agent's peak RSS. Real processes: mariadbd (two, on loopback addresses), versitygw, and the
 * agent as its own process (`steward agent backup|restore`, as in a Job), so its RSS is its own.
 *   raw backup:  mariadb-dump (same flags) | gzip > /dev/null   (and | zstd -3, our default)
 *   raw restore: mariadb < dump.sql (a plain file, the fastest a raw import gets), into an
 *                empty server; the agent restores into an empty server (a new cluster) and
 *                in place (its checksum pass before dropping the data, then the load)
 * The agent reports into a DatabaseBackup/DatabaseRestore on a real API server (the local
 * control plane) with a service account token, as in a Job, so its RSS includes reporting.
 * Physical (method: physical), on the same data: the source's agent (`mysql-sidecar`, in this
 * process) streams mariabackup to the backup agent, next to
 *   raw physical: mariabackup --backup --stream=mbstream (same options) | zstd -3 > /dev/null
 * and its restore (`steward agent verify`: download, unpack, prepare, start a private mariadbd
 * on it, CHECKSUM TABLE) next to the logical restore above (load, then CHECKSUM TABLE).
 * Dataset: STEWARD_BENCH_BACKUP_MB (default 1100) MiB of dump, generated server-side.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { installCrds } from "../local/cluster.js";
import { startControlPlane, type RunningControlPlane } from "../local/controlplane/launcher.js";
import { buildAgentRbac, AGENT_SERVICE_ACCOUNT } from "../backup/controllers/jobs.js";
import { KubeClient, type KubeObject } from "../shared/k8s/client.js";
import { RESOURCES, type ResourceType } from "../shared/k8s/resources.js";
import { API_VERSION } from "../shared/api/common.js";
import { startMariaDb, type MariaDbServer } from "../test/fixtures/mariadb-server.js";
import { startS3, type S3Fixture } from "../test/fixtures/s3.js";
import { buildDumpCommand, connectionArgs } from "../operators/mysql/backup/dump-command.js";
import { AGENT_PROCESS_ENV } from "../backup/agent/image.js";
import { startSidecar } from "../operators/mysql/agent/sidecar.js";
import { physicalCopyCommand } from "../operators/mysql/backup/physical-commands.js";

const REPO = join(import.meta.dirname, "..", "..");

function sh(script: string, env: NodeJS.ProcessEnv = {}): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-o", "pipefail", "-c", script], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.once("close", (code) => (code === 0 ? resolve((Date.now() - started) / 1000) : reject(new Error(`${script.slice(0, 80)}... exited ${code}: ${stderr}`))));
  });
}

/** Runs the agent as a process, with a Job's process environment; returns seconds and its peak RSS (VmHWM) in MiB. */
function agent(args: string[], env: NodeJS.ProcessEnv): Promise<{ seconds: number; peakRssMiB: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, "bin", "steward.js"), "agent", ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, STEWARD_LOG_LEVEL: "warn", ...Object.fromEntries(AGENT_PROCESS_ENV.map((entry) => [entry.name, entry.value])), ...env } });
    let peak = 0;
    const sample = () => {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (match) peak = Math.max(peak, Number(match[1]) / 1024);
      } catch {
        // exited
      }
    };
    const timer = setInterval(sample, 100);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-3000)));
    child.once("close", (code) => {
      clearInterval(timer);
      if (code === 0) resolve({ seconds: (Date.now() - started) / 1000, peakRssMiB: Math.round(peak) });
      else reject(new Error(`steward agent ${args[0]} exited ${code}: ${stderr}`));
    });
  });
}

/**
 * A control plane with the CRDs, namespace `bench` with the agents' RBAC, the objects they
 * report into, and a service-account directory (token, ca.crt) as the kubelet mounts it.
 */
async function startApi(stateDir: string, backups: string[], restores: string[]): Promise<{ plane: RunningControlPlane; env: NodeJS.ProcessEnv; kube: KubeClient }> {
  const plane = await startControlPlane({ stateDir, serviceCidr: "10.96.0.0/24" });
  await installCrds(plane.kubeconfig, () => undefined);
  const kube = KubeClient.fromKubeconfig(plane.kubeconfig);
  await kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "bench" } });
  for (const object of buildAgentRbac("bench")) await kube.apply(object);
  // Custom resources are refused for a moment after their CRD is Established.
  for (let attempt = 0; ; attempt++) {
    try {
      for (const name of backups) await kube.apply({ apiVersion: API_VERSION, kind: "DatabaseBackup", metadata: { name, namespace: "bench" }, spec: { cluster: "source" } });
      for (const name of restores) await kube.apply({ apiVersion: API_VERSION, kind: "DatabaseRestore", metadata: { name, namespace: "bench" }, spec: { source: { backup: "zstd" } } });
      break;
    } catch (error) {
      if (attempt > 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const config = new KubeConfig();
  config.loadFromFile(plane.kubeconfig);
  const token = await config.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ name: AGENT_SERVICE_ACCOUNT, namespace: "bench", body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const accountDir = join(stateDir, "serviceaccount");
  mkdirSync(accountDir, { recursive: true });
  writeFileSync(join(accountDir, "token"), token.status?.token ?? "");
  copyFileSync(plane.pki.caCert, join(accountDir, "ca.crt"));
  const url = new URL(plane.server);
  return { plane, kube, env: { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port, STEWARD_SERVICE_ACCOUNT_DIR: accountDir, KUBECONFIG: "" } };
}

async function generate(server: MariaDbServer, megabytes: number): Promise<void> {
  const connection = await server.connect();
  await connection.query("CREATE DATABASE bench; CREATE TABLE bench.orders (id BIGINT PRIMARY KEY, customer VARCHAR(64), status VARCHAR(16), note TEXT, amount DECIMAL(12,2), created DATETIME)");
  // ~420 bytes of dump per row: hex digests (compress about 2:1, like ordinary text and ids).
  const rows = Math.ceil((megabytes * 1024 * 1024) / 420);
  for (let start = 1; start <= rows; start += 200_000) {
    const end = Math.min(rows, start + 199_999);
    await connection.query(
      `INSERT INTO bench.orders SELECT seq, CONCAT('customer-', seq % 100000), ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'done'), CONCAT(SHA2(seq, 512), MD5(seq), SHA2(seq + 1, 512), SHA2(seq + 2, 256)), (seq % 100000) / 100, FROM_UNIXTIME(1700000000 + seq) FROM bench.seq_${start}_to_${end}`,
    );
  }
  await connection.end();
}

export async function benchBackup(): Promise<Record<string, number | string>> {
  const megabytes = Number(process.env.STEWARD_BENCH_BACKUP_MB ?? 1100);
  const results: Record<string, number | string> = {};
  const say = (key: string, value: number | string) => {
    results[`backup.${key}`] = value;
    console.log(`backup.${key} = ${value}`);
  };
  let source: MariaDbServer | undefined;
  let target: MariaDbServer | undefined;
  let s3: S3Fixture | undefined;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  const apiState = mkdtempSync(join(tmpdir(), "steward-bench-api-"));
  const dumpFile = join(REPO, ".bench-dump.sql");
  try {
    [source, target, s3, api] = await Promise.all([startMariaDb({ serverId: 1 }), startMariaDb({ serverId: 2 }), startS3(), startApi(apiState, ["gzip", "zstd", "zstd-enc", "physical"], ["restore", "checksums", "in-place"])]);
    let t = Date.now();
    await generate(source, megabytes);
    console.log(`generated the dataset in ${Math.round((Date.now() - t) / 1000)} s`);
    const endpoint = { host: source.host, port: source.port, username: "root", password: source.password };
    const dump = buildDumpCommand("mariadb", endpoint, []);
    const dumpLine = `${dump.command} ${dump.args.map((arg) => `'${arg}'`).join(" ")}`;
    const env = { MYSQL_PWD: source.password };
    await sh(`${dumpLine} > '${dumpFile}'`, env);
    const rawBytes = statSync(dumpFile).size;
    say("dataset_mib", Math.round(rawBytes / 1048576));

    const rawGzip = await sh(`${dumpLine} | gzip > /dev/null`, env);
    say("raw_dump_gzip_mib_s", +(rawBytes / 1048576 / rawGzip).toFixed(1));
    const rawZstd = await sh(`${dumpLine} | zstd -3 -q > /dev/null`, env);
    say("raw_dump_zstd_mib_s", +(rawBytes / 1048576 / rawZstd).toFixed(1));

    const storageEnv = {
      STEWARD_STORAGE: JSON.stringify({ endpoint: s3.endpoint, region: "us-east-1", bucket: s3.bucket, prefix: "bench/", forcePathStyle: true, caBundle: s3.caBundle }),
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      STEWARD_DB_USER: "root",
      STEWARD_DB_PASSWORD: source.password,
      ...api.env,
    };
    const backupArgs = (name: string, compression: string) => ["backup", "--namespace", "bench", "--cluster", "source", "--backup", name, "--engine", "mysql", "--flavor", "mariadb", "--host", source!.host, "--port", String(source!.port), "--compression", compression];
    const ours = {
      gzip: await agent(backupArgs("gzip", "gzip"), storageEnv),
      zstd: await agent(backupArgs("zstd", "zstd"), storageEnv),
      zstdEncrypted: await agent(backupArgs("zstd-enc", "zstd"), { ...storageEnv, STEWARD_BACKUP_KEY: Buffer.alloc(32, 7).toString("base64") }),
    };
    say("agent_gzip_mib_s", +(rawBytes / 1048576 / ours.gzip.seconds).toFixed(1));
    say("agent_zstd_mib_s", +(rawBytes / 1048576 / ours.zstd.seconds).toFixed(1));
    say("agent_zstd_encrypted_mib_s", +(rawBytes / 1048576 / ours.zstdEncrypted.seconds).toFixed(1));
    say("ratio_gzip_vs_raw_gzip", +(rawGzip / ours.gzip.seconds).toFixed(2));
    say("ratio_zstd_vs_raw_zstd", +(rawZstd / ours.zstd.seconds).toFixed(2));
    say("ratio_zstd_vs_raw_gzip", +(rawGzip / ours.zstd.seconds).toFixed(2));
    say("agent_backup_peak_rss_mib", Math.max(ours.gzip.peakRssMiB, ours.zstd.peakRssMiB, ours.zstdEncrypted.peakRssMiB));

    t = Date.now();
    const targetEnv = { MYSQL_PWD: target.password };
    const rawImport = await sh(`mariadb ${connectionArgs({ host: target.host, port: target.port, username: "root" }).join(" ")} --max-allowed-packet=1G < '${dumpFile}'`, targetEnv);
    say("raw_import_mib_s", +(rawBytes / 1048576 / rawImport).toFixed(1));
    // A restore into a new cluster loads into an empty server, as the raw import did.
    const emptyTarget = await target.connect();
    await emptyTarget.query("DROP DATABASE bench");
    await emptyTarget.end();
    const restoreArgs = (name: string) => ["restore", "--namespace", "bench", "--restore", name, "--source-cluster", "source", "--backup", "zstd", "--engine", "mysql", "--flavor", "mariadb", "--host", target!.host, "--port", String(target!.port)];
    const restoreEnv = { ...storageEnv, STEWARD_DB_PASSWORD: target.password };
    const restore = await agent(restoreArgs("restore"), restoreEnv);
    say("agent_restore_mib_s", +(rawBytes / 1048576 / restore.seconds).toFixed(1));
    say("ratio_restore_vs_raw_import", +(rawImport / restore.seconds).toFixed(2));
    // A restore ends with CHECKSUM TABLE of every table (recorded in its status), which a raw
    // import does not do: timed on its own, so the load's own ratio shows too.
    const checksums = await agent([...restoreArgs("checksums"), "--checksums-only"], restoreEnv);
    say("agent_restore_checksums_s", +checksums.seconds.toFixed(1));
    say("ratio_restore_load_only_vs_raw_import", +(rawImport / (restore.seconds - checksums.seconds)).toFixed(2));
    // In place: the stored object is read and checked once before the server's data is dropped.
    const inPlace = await agent([...restoreArgs("in-place"), "--replace-existing"], restoreEnv);
    say("agent_restore_in_place_mib_s", +(rawBytes / 1048576 / inPlace.seconds).toFixed(1));
    say("ratio_restore_in_place_vs_raw_import", +(rawImport / inPlace.seconds).toFixed(2));
    say("agent_restore_peak_rss_mib", Math.max(restore.peakRssMiB, inPlace.peakRssMiB));
    console.log(`restores took ${Math.round((Date.now() - t) / 1000)} s`);
    const kube = api.kube;
    const physicalRawSize = async () => Number((await kube.get<KubeObject & { status?: { rawSize?: number } }>(RESOURCES.DatabaseBackup, "bench", "physical"))?.status?.rawSize ?? 0);
    await benchPhysical({ source, say, storageEnv, physicalRawSize, logicalRestoreSeconds: restore.seconds });

    // The agents reported, as in Jobs: their RSS above includes it.
    type Reported = KubeObject & { status?: { phase?: string; verification?: unknown } };
    const reported = async (type: ResourceType, name: string) => {
      const status = (await api!.kube.get<Reported>(type, "bench", name))?.status;
      return status?.phase ?? (status?.verification ? "Verified" : undefined);
    };
    const phases = await Promise.all([
      ...["gzip", "zstd", "zstd-enc", "physical"].map((name) => reported(RESOURCES.DatabaseBackup, name)),
      ...["restore", "checksums", "in-place"].map((name) => reported(RESOURCES.DatabaseRestore, name)),
    ]);
    say("agent_reported_phases", phases.join(","));
    if (phases.some((phase) => phase === undefined)) throw new Error(`an agent did not report into its object: ${phases.join(",")}`);
  } finally {
    rmSync(dumpFile, { force: true });
    await api?.kube.close();
    await Promise.all([source?.stop(), target?.stop(), s3?.destroy(), api?.plane.stop()]);
    rmSync(apiState, { recursive: true, force: true });
  }
  return results;
}

/** method: physical on the same source: backup next to the raw tool, restore next to the logical restore. */
async function benchPhysical(input: { source: MariaDbServer; say: (key: string, value: number | string) => void; storageEnv: NodeJS.ProcessEnv; physicalRawSize: () => Promise<number>; logicalRestoreSeconds: number }): Promise<void> {
  const { source, say } = input;
  const token = "bench-agent-token";
  const work = mkdtempSync(join(tmpdir(), "steward-bench-physical-"));
  const sidecar = await startSidecar({ token, rootPassword: source.password, socket: source.socket, dataDir: join(source.dataDir, "data"), tmpDir: work, host: "127.0.0.1", port: 0, log: () => undefined });
  try {
    const address = sidecar.address() as { port: number };
    const defaults = join(work, "raw.cnf");
    writeFileSync(defaults, `[mariabackup]\nuser=root\npassword=${source.password}\nsocket=${source.socket}\ndatadir=${join(source.dataDir, "data")}\ntmpdir=${work}\n`, { mode: 0o600 });
    const raw = physicalCopyCommand("mariadb", { defaultsFile: defaults, targetDir: join(work, "raw-meta") });
    const rawSeconds = await sh(`${raw.command} ${raw.args.map((arg) => `'${arg}'`).join(" ")} | zstd -3 -q > /dev/null`);
    const env = { ...input.storageEnv, STEWARD_AGENT_TOKEN: token };
    const backup = await agent(
      ["backup", "--namespace", "bench", "--cluster", "source", "--backup", "physical", "--method", "physical", "--engine", "mysql", "--flavor", "mariadb", "--host", source.host, "--port", String(source.port), "--physical-source", `127.0.0.1:${address.port}`, "--compression", "zstd"],
      env,
    );
    // Both runs in MiB/s of the same bytes: the copy's size before compression, from the agent's manifest.
    const copyBytes = await input.physicalRawSize();
    say("physical_copy_mib", Math.round(copyBytes / 1048576));
    say("raw_physical_zstd_mib_s", +(copyBytes / 1048576 / rawSeconds).toFixed(1));
    say("agent_physical_zstd_mib_s", +(copyBytes / 1048576 / backup.seconds).toFixed(1));
    say("ratio_physical_vs_raw_physical_zstd", +(rawSeconds / backup.seconds).toFixed(2));
    say("agent_physical_backup_peak_rss_mib", backup.peakRssMiB);
    const verifyDir = join(work, "restore");
    mkdirSync(verifyDir);
    const restore = await agent(["verify", "--namespace", "bench", "--cluster", "source", "--backup", "physical", "--engine", "mysql", "--flavor", "mariadb", "--work-dir", verifyDir], env);
    say("agent_physical_restore_s", +restore.seconds.toFixed(1));
    say("agent_logical_restore_s", +input.logicalRestoreSeconds.toFixed(1));
    say("ratio_physical_restore_speedup_vs_logical", +(input.logicalRestoreSeconds / restore.seconds).toFixed(2));
    say("agent_physical_restore_peak_rss_mib", restore.peakRssMiB);
  } finally {
    await new Promise((resolve) => sidecar.close(resolve));
    rmSync(work, { recursive: true, force: true });
  }
}
