/**
 * The agent's own commands for a MongoDB cluster, run as the backup and restore Jobs run them
 * (`steward agent backup|restore --engine mongodb ...`, compiled CLI, options and environment as
 * the Jobs' pod specs give them: operators/mongodb/backup/job-target.ts), against FerretDB (a
 * STAND-IN for mongod, test/fixtures/ferretdb.ts) and the real S3 server: a backup, an in-place
 * restore (--replace-existing, what the in-place restore Job runs on the primary), and a
 * restore to a point in time. Without a Kubernetes cluster that can run mongod, the Jobs'
 * reporting into DatabaseBackup/DatabaseRestore status is left out (--no-report).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { pino } from "pino";
import type { S3Client } from "@aws-sdk/client-s3";
import type { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEndpoint } from "../../backup/engine-backup.js";
import { readBackupManifest } from "../../backup/pipeline.js";
import { MongodbBackup } from "../../operators/mongodb/backup/mongodb-backup.js";
import { OplogArchiver } from "../../operators/mongodb/backup/oplog-archiver.js";
import { startFerretDb, type FerretDbFixture } from "../fixtures/ferretdb.js";
import { startS3, type S3Fixture } from "../fixtures/s3.js";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");
const log = pino({ level: "silent" });
const engine = new MongodbBackup();
const never = () => new AbortController().signal;
const cluster = { namespace: "shop", name: "orders" };
const endpointOf = (server: FerretDbFixture): EngineEndpoint => ({ host: server.host, port: server.port, options: { directConnection: "true" } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("steward agent backup/restore --engine mongodb (ferretdb stand-in, real versitygw)", () => {
  let s3: S3Fixture;
  let s3Client: S3Client;
  let source: FerretDbFixture;
  let client: MongoClient;
  const targets: FerretDbFixture[] = [];

  beforeAll(async () => {
    [s3, source] = await Promise.all([startS3(), startFerretDb()]);
    s3Client = s3.client();
    client = source.client();
    await client.db("local").createCollection("oplog.rs", { capped: true, size: 4 * 1024 * 1024 });
    await client.db("orders").collection<{ _id: number; total: number }>("invoices").insertMany(Array.from({ length: 200 }, (_, index) => ({ _id: index, total: index * 10 })));
  });
  afterAll(async () => {
    await client?.close();
    s3Client?.destroy();
    await Promise.all([s3?.destroy(), source?.destroy(), ...targets.map((server) => server.destroy())]);
  });

  /** The agent as a Job runs it: storage and the database user from the environment, never from arguments. */
  async function agent(args: string[]): Promise<string> {
    const target = s3.target("");
    const env = {
      ...process.env,
      STEWARD_STORAGE: JSON.stringify({ endpoint: target.endpoint, region: target.region, bucket: target.bucket, prefix: target.prefix, forcePathStyle: true, caBundle: target.caBundle }),
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      // FerretDB runs without authentication here; the agent sends no credentials without a user.
      STEWARD_DB_USER: "",
      LOG_LEVEL: "warn",
    };
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, "bin", "steward.js"), "agent", ...args], { env, cwd: ROOT });
    return stdout + stderr;
  }
  const on = (server: FerretDbFixture) => ["--engine", "mongodb", "--host", server.host, "--port", String(server.port)];

  it("backs up, then restores in place over changed data, as the Jobs run it", async () => {
    await agent(["backup", ...on(source), "--namespace", "shop", "--cluster", "orders", "--backup", "orders-manual-1", "--no-report"]);
    const manifest = await readBackupManifest({ client: s3Client, target: s3.target("") }, cluster, "orders-manual-1");
    expect(manifest).toMatchObject({ engine: "mongodb", backup: "orders-manual-1", position: { collections: 1, documents: 200 } });
    const atBackup = await engine.checksums({ endpoint: endpointOf(source), signal: never() });

    const target = await startFerretDb();
    targets.push(target);
    const writer = target.client();
    try {
      await writer.db("orders").collection<{ _id: number; total: number }>("invoices").insertOne({ _id: 9999, total: -1 });
      await writer.db("orders").collection<{ _id: string }>("drafts").insertOne({ _id: "not in the backup" });
    } finally {
      await writer.close();
    }
    // Without --replace-existing a restore never merges into collections that exist.
    const refused = await agent(["restore", ...on(target), "--namespace", "shop", "--source-cluster", "orders", "--backup", "orders-manual-1", "--no-report"]).catch((error: { code?: number; stdout?: string; stderr?: string }) => error);
    expect(refused).toMatchObject({ code: 1 });
    expect(`${(refused as { stdout?: string }).stdout}${(refused as { stderr?: string }).stderr}`).toMatch(/"step":"load".*already exists.*Restore failed/s);
    await agent(["restore", ...on(target), "--namespace", "shop", "--source-cluster", "orders", "--backup", "orders-manual-1", "--replace-existing", "--no-report"]);
    expect(await engine.checksums({ endpoint: endpointOf(target), signal: never() })).toEqual(atBackup);
  });

  it("restores a new server to a point in time from the archived oplog", async () => {
    const archiver = new OplogArchiver(client, { engine: "mongodb", storage: { client: s3Client, target: s3.target("") }, cluster, compression: "gzip", stream: "orders-0", limits: { maxAgeMs: 200, maxBytes: 1 << 20 }, idleWaitMs: 100, log });
    await archiver.pass();
    await sleep(1050 - (Date.now() % 1000));
    await client.db("orders").collection<{ _id: number; total: number }>("invoices").insertMany(Array.from({ length: 20 }, (_, index) => ({ _id: 1000 + index, total: 1 })));
    await client.db("orders").collection<{ _id: number }>("invoices").deleteOne({ _id: 0 });
    const pointInTime = new Date();
    const expected = await engine.checksums({ endpoint: endpointOf(source), signal: never() });
    await sleep(1050 - (Date.now() % 1000));
    await client.db("orders").collection<{ _id: number; total: number }>("invoices").insertOne({ _id: 5000, total: 5 });
    for (let attempt = 0; attempt < 30; attempt += 1) {
      await archiver.pass();
      await sleep(150);
    }
    await archiver.stop();

    const target = await startFerretDb();
    targets.push(target);
    await agent(["restore", ...on(target), "--namespace", "shop", "--source-cluster", "orders", "--point-in-time", pointInTime.toISOString(), "--no-report"]);
    expect(await engine.checksums({ endpoint: endpointOf(target), signal: never() })).toEqual(expected);
  });
});
