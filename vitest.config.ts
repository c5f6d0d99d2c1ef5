import { defineConfig } from 'vitest/config';

// The fleet files run three app processes each, count D3 calls per sliding second and wait on 100
// queued closes: run beside the rest of the suite on a 2-core machine they were starved of CPU (claims
// lapsing, slots reached late). They run alone, after everything else, in the same `npm test`.
const alone = ['test/flows/fleet-*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: alone, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'fleet', include: alone, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
