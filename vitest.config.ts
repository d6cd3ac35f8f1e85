import { defineConfig } from "vitest/config";

// Cluster files whose faults or objects reach beyond their own namespace: they run alone, one at
// a time, after the other cluster files (which run two at a time) are done.
const SERIAL_CLUSTER_FILES = [
  // A node stopped or cut (every pod on it, whoever's), the S3 server stopped or faulted.
  "test/e2e/local-node.test.ts",
  "test/e2e/mysql-failover.test.ts",
  "test/e2e/redis-cluster.test.ts",
  "test/e2e/local-s3.test.ts",
  "test/e2e/backup-mysql.test.ts",
  // Cluster-wide objects: the chart's operator and console, the catalog's templates and
  // admission policies, a second local cluster on the machine.
  "test/e2e/operator-in-cluster.test.ts",
  "test/e2e/console-in-cluster.test.ts",
  "test/e2e/catalog-deploy.test.ts",
  "test/integration/catalog-admission.test.ts",
  "test/e2e/local-cleanup.test.ts",
  // Lease hand-over times and the controller's coalescing of a burst of watch events, which a
  // busy neighbour would stretch.
  "test/integration/operator-leader.test.ts",
  "test/integration/runtime-leader.test.ts",
  "test/integration/runtime-controller.test.ts",
];

const CLUSTER_PROJECT = {
  globalSetup: ["test/setup/local-cluster.ts"],
  setupFiles: ["test/setup/slot-names.ts"],
  testTimeout: 300_000,
  hookTimeout: 600_000,
};

// unit: pure code, in parallel. cluster and cluster-serial: integration tests against the real
// API server and end-to-end tests on the local cluster (real engines), on one local cluster
// shared by both projects (test/setup/local-cluster.ts). Each file works in namespaces of its
// own, so "cluster" runs two files at a time; "cluster-serial" runs its files one at a time
// once "cluster" is done (groupOrder), so that their node, S3 and cluster-wide faults meet no
// other file's pods.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["{shared,operators,backup,cli,local,catalog,console,deploy}/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        // Stand-ins for servers that cannot run here, with what they are in their file names:
        // the MongoDB replica-set simulator (no cluster needed).
        test: {
          name: "simulator",
          include: ["test/simulator/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        // FerretDB as a wire-compatible stand-in for mongod, with the real S3 server (both
        // processes on loopback addresses; no cluster needed).
        test: {
          name: "ferretdb",
          include: ["test/ferretdb/**/*.test.ts"],
          fileParallelism: false,
          // Beside the serial cluster files, not the parallel ones: FerretDB's tailable cursors
          // were interrupted once with two cluster files and the unit tests on the two cores.
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "cluster",
          include: ["test/{integration,e2e}/**/*.test.ts"],
          exclude: SERIAL_CLUSTER_FILES,
          ...CLUSTER_PROJECT,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "cluster-serial",
          include: SERIAL_CLUSTER_FILES,
          ...CLUSTER_PROJECT,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
