import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["lib/**/*.test.ts", "server/**/*.test.ts", "scripts/**/*.test.ts", "bench/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        // The browser's modules (lib/client) import with Next's "@/" alias.
        resolve: { alias: { "@": import.meta.dirname } },
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          setupFiles: ["tests/support/integration-setup.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Suites start real servers and databases: run files one at a time on 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
