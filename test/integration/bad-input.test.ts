/**
 * Bad input for the backup side of the API on the real kube-apiserver (the DatabaseCluster
 * and DatabaseTemplate cases live in cluster-validation.test.ts and catalog-admission.test.ts):
 * given the CRDs installed, when a user submits a malformed or dangerous DatabaseBackup,
 * DatabaseRestore or BackupStorage, then the API server refuses it with a message that names
 * the field, and none of them is stored.
 */
import { describe, expect, it } from "vitest";
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { useTestNamespace } from "./runtime-fixtures.js";

const test = useTestNamespace("badinput", { crds: true });
const random = () => `bad-${Math.random().toString(36).slice(2, 8)}`;

const object = (kind: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: "steward.dev/v1alpha1", kind, metadata: { name: random() }, spec });
const s3 = (fields: Record<string, unknown>) => ({ s3: { bucket: "backups", credentialsSecret: { name: "creds" }, ...fields } });

async function refusal(candidate: KubeObject): Promise<string> {
  try {
    await test.client.create({ ...candidate, metadata: { ...candidate.metadata, namespace: test.namespace } });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error(`${candidate.kind} ${JSON.stringify(candidate.spec)} was accepted`);
}

const cases: [string, KubeObject, RegExp][] = [
  // DatabaseBackup
  ["a backup without a cluster", object("DatabaseBackup", {}), /spec\.cluster: Required value/],
  ["a backup of an empty cluster name", object("DatabaseBackup", { cluster: "" }), /spec\.cluster/],
  ["a backup of a cluster named like a path", object("DatabaseBackup", { cluster: "../../other" }), /spec\.cluster.*must be a DNS-1123 name/],
  ["a backup of a cluster name with a slash", object("DatabaseBackup", { cluster: "shop/orders" }), /spec\.cluster.*must be a DNS-1123 name/],
  ["a backup of a cluster name too long", object("DatabaseBackup", { cluster: "a".repeat(41) }), /spec\.cluster/],
  ["a backup to a storage named like a path", object("DatabaseBackup", { cluster: "orders", storage: "../s3" }), /spec\.storage.*must be a DNS-1123 name/],
  ["a backup with an unknown method", object("DatabaseBackup", { cluster: "orders", method: "snapshot" }), /spec\.method.*Unsupported value: "snapshot"/],
  ["a backup with an unknown compression", object("DatabaseBackup", { cluster: "orders", compression: "lz4" }), /spec\.compression.*Unsupported value: "lz4"/],
  ["a backup with an unknown deletion policy", object("DatabaseBackup", { cluster: "orders", deletionPolicy: "Shred" }), /spec\.deletionPolicy.*Unsupported value/],
  ["a backup with a cluster that is a number", object("DatabaseBackup", { cluster: 7 }), /spec\.cluster.*must be of type string/],
  // DatabaseRestore
  ["a restore without a source", object("DatabaseRestore", { target: { newCluster: "copy" } }), /spec\.source: Required value/],
  ["a restore naming both a backup and a cluster", object("DatabaseRestore", { source: { backup: "b1", cluster: "c1", pointInTime: "2026-11-25T10:00:00Z" } }), /spec\.source.*exactly one of backup or cluster/],
  ["a restore naming neither a backup nor a cluster", object("DatabaseRestore", { source: {} }), /spec\.source.*exactly one of backup or cluster/],
  ["a point in time without a cluster", object("DatabaseRestore", { source: { backup: "b1", pointInTime: "2026-11-25T10:00:00Z" } }), /spec\.source\.pointInTime.*pointInTime needs cluster/],
  ["a cluster without a point in time", object("DatabaseRestore", { source: { cluster: "c1" } }), /spec\.source\.cluster.*cluster needs pointInTime/],
  ["a point in time that is not RFC 3339", object("DatabaseRestore", { source: { cluster: "c1", pointInTime: "yesterday" } }), /spec\.source\.pointInTime/],
  ["a point in time without a zone", object("DatabaseRestore", { source: { cluster: "c1", pointInTime: "2026-11-25T10:00:00" } }), /spec\.source\.pointInTime/],
  ["a restore of a backup named like a path", object("DatabaseRestore", { source: { backup: "../b1" } }), /spec\.source\.backup.*must be a DNS-1123 name/],
  ["a restore from a cluster named like a path", object("DatabaseRestore", { source: { cluster: "a/b", pointInTime: "2026-11-25T10:00:00Z" } }), /spec\.source\.cluster.*must be a DNS-1123 name/],
  ["a new cluster with capitals and underscores", object("DatabaseRestore", { source: { backup: "b1" }, target: { newCluster: "Bad_Name" } }), /spec\.target\.newCluster/],
  ["a new cluster name too long", object("DatabaseRestore", { source: { backup: "b1" }, target: { newCluster: "a".repeat(41) } }), /spec\.target\.newCluster/],
  ["an in-place restore without confirmation", object("DatabaseRestore", { source: { backup: "b1" }, target: { inPlace: true } }), /spec\.target\.confirmOverwrite.*set confirmOverwrite: true/],
  ["an in-place restore with confirmOverwrite false", object("DatabaseRestore", { source: { backup: "b1" }, target: { inPlace: true, confirmOverwrite: false } }), /spec\.target\.confirmOverwrite/],
  ["a restore with two targets", object("DatabaseRestore", { source: { backup: "b1" }, target: { inPlace: true, confirmOverwrite: true, newCluster: "copy" } }), /spec\.target.*newCluster or inPlace, not both/],
  // BackupStorage
  ["a storage without s3", object("BackupStorage", {}), /spec\.s3: Required value/],
  ["a bucket with capitals and underscores", object("BackupStorage", s3({ bucket: "Bad_Bucket" })), /spec\.s3\.bucket/],
  ["a bucket of two characters", object("BackupStorage", s3({ bucket: "ab" })), /spec\.s3\.bucket/],
  ["no bucket", object("BackupStorage", s3({ bucket: undefined })), /spec\.s3\.bucket: Required value/],
  ["an absolute prefix", object("BackupStorage", s3({ prefix: "/abs/" })), /spec\.s3\.prefix/],
  ["a prefix without its trailing slash", object("BackupStorage", s3({ prefix: "shop" })), /spec\.s3\.prefix/],
  ["a prefix climbing out with ..", object("BackupStorage", s3({ prefix: "shop/../other-team/" })), /spec\.s3\.prefix.*\.\./],
  ["a prefix that is only ..", object("BackupStorage", s3({ prefix: "../" })), /spec\.s3\.prefix.*\.\./],
  ["a file:// endpoint", object("BackupStorage", s3({ endpoint: "file:///etc/passwd" })), /spec\.s3\.endpoint.*http:\/\/ or https:\/\/ URL/],
  ["an endpoint that is no URL", object("BackupStorage", s3({ endpoint: "s3 please" })), /spec\.s3\.endpoint.*http:\/\/ or https:\/\/ URL/],
  ["an endpoint with credentials in it", object("BackupStorage", s3({ endpoint: "http://key:secret@s3.example:9000" })), /spec\.s3\.endpoint.*without credentials/],
  ["a plaintext http:// endpoint without allowInsecure", object("BackupStorage", s3({ endpoint: "http://s3.example:9000" })), /spec\.s3\.endpoint.*in plaintext.*allowInsecure: true/],
  ["a plaintext http:// endpoint with allowInsecure false", object("BackupStorage", s3({ endpoint: "http://s3.example:9000", allowInsecure: false })), /spec\.s3\.endpoint.*allowInsecure: true/],
  ["a caBundle that is no PEM certificate", object("BackupStorage", s3({ endpoint: "https://s3.example:9000", caBundle: "not a certificate" })), /spec\.s3\.caBundle.*BEGIN CERTIFICATE/],
  ["an empty region", object("BackupStorage", s3({ region: "" })), /spec\.s3\.region/],
  ["no credentials Secret", object("BackupStorage", s3({ credentialsSecret: undefined })), /spec\.s3\.credentialsSecret: Required value/],
  ["a credentials Secret without a name", object("BackupStorage", s3({ credentialsSecret: {} })), /spec\.s3\.credentialsSecret\.name: Required value/],
  ["a credentials Secret named like a path", object("BackupStorage", s3({ credentialsSecret: { name: "../kube-system/admin" } })), /spec\.s3\.credentialsSecret\.name.*must be a DNS-1123 name/],
  ["an encryption key without its key", object("BackupStorage", { ...s3({}), encryption: { keySecret: { name: "backup-key" } } }), /spec\.encryption\.keySecret\.key: Required value/],
  ["forcePathStyle as a word", object("BackupStorage", s3({ forcePathStyle: "yes" })), /spec\.s3\.forcePathStyle.*must be of type boolean/],
];

describe("backup resources the API server refuses, naming the field", () => {
  it.each(cases)("refuses %s", async (_what, candidate, expected) => {
    expect(await refusal(candidate)).toMatch(expected);
  });

  it("accepts the endpoints and prefixes users write", async () => {
    for (const fields of [{ endpoint: "http://s3.steward-system.svc:7070", prefix: "shop/", allowInsecure: true }, { endpoint: "https://s3.eu-west-1.amazonaws.com", prefix: "" }, { endpoint: "https://minio.example:9000/", prefix: "team.a/db..old/" }]) {
      const name = random();
      await test.client.create({ ...object("BackupStorage", s3(fields)), metadata: { name, namespace: test.namespace } });
      await test.client.delete(RESOURCES.BackupStorage, test.namespace, name);
    }
  });

  it("stored none of them", async () => {
    for (const type of [RESOURCES.DatabaseBackup, RESOURCES.DatabaseRestore, RESOURCES.BackupStorage]) {
      expect((await test.client.list(type, test.namespace)).items.map((item) => item.metadata.name)).toEqual([]);
    }
  });
});
