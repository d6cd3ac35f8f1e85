import { defineConfig } from "vitest/config";

// unit: pure code, in parallel. cluster: integration tests against the real API server and
// end-to-end tests on the local cluster (real engines), one file at a time on one shared
// local cluster started by the global setup.
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
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "cluster",
          include: ["test/{integration,e2e}/**/*.test.ts"],
          globalSetup: ["test/setup/local-cluster.ts"],
          setupFiles: ["test/setup/slot-names.ts"],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
