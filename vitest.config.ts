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
        test: {
          name: "cluster",
          include: ["test/{integration,e2e}/**/*.test.ts"],
          globalSetup: ["test/setup/local-cluster.ts"],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
