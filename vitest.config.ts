import { defineConfig } from 'vitest/config';

// In CI a JSON report is written too, so `.ci/run` can print its `N passed, N failed` line.
const reporters = process.env.CI ? ['default', ['json', { outputFile: 'reports/vitest.json' }]] : ['default'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Infra tests bundle the Lambda with esbuild while synthesizing; give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: reporters as never,
  },
});
