import { defineConfig } from 'vitest/config';

// The fleet files run three app processes each, count D3 calls per sliding second and wait on 100
// queued closes: beside the rest of the suite on a 2-core machine they starved of CPU. They run alone,
// after everything else.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: ['test/flows/fleet-*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'fleet',
          include: ['test/flows/fleet-*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
