import { defineConfig } from "vitest/config";

// Two projects: `unit` runs anywhere (no Go, no cluster); `integration` runs against the real
// control plane that its global setup builds and starts (tools/cluster), and fails loudly if it
// cannot. `./scripts/test --project unit` runs the unit tests alone.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts"],
          // Property tests run hundreds of cases and some tests start Node processes: on a busy
          // 2-core machine 5 s is not enough. Speed is measured by the benches, never here.
          testTimeout: 30_000,
          exclude: ["packages/*/src/**/*.int.test.ts", "**/node_modules/**"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["packages/*/src/**/*.int.test.ts"],
          globalSetup: ["packages/test-cluster/src/global-setup.ts"],
          // The first run builds the control plane (minutes); tests wait with generous timeouts.
          hookTimeout: 1_800_000,
          testTimeout: 180_000,
          maxWorkers: 2,
        },
      },
    ],
  },
});
