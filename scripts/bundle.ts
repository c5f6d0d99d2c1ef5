/**
 * `npm run build`: the production build, one ES module `dist/close-incident.mjs` that `npm start` runs
 * (and `dist/doctor.mjs`, the doctor).
 *
 * Why one file: start-up to ready was ~2× a bare Bolt app's, most of it resolving, reading and compiling
 * some 130 of our modules and Bolt's CommonJS tree file by file (profiled with --cpu-prof). Bundled, the
 * same start-up is about a bare Bolt app's (README, Performance). Left outside the bundle, loaded from node_modules as
 * before: sqlite3 (a native addon) and what is only imported on demand (@keyv/redis for redis://, jose for
 * D3_AUTH=jwt), so a deployment that never uses them never parses them.
 */
import { build } from 'esbuild';

export const external = ['sqlite3', '@keyv/redis', 'jose'];

const src = (path: string) => new URL(`../src/${path}`, import.meta.url).pathname;

/** Writes `close-incident.mjs` (the bot) and `doctor.mjs` (`npm run doctor` without tsx) into outdir. */
export async function bundle(outdir: string): Promise<void> {
  await build({
    entryPoints: { 'close-incident': src('main.ts'), doctor: src('doctor/cli.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.18',
    external,
    // Whitespace and syntax only: names stay, so a stack trace still reads (and the map points to src/).
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    logLevel: 'warning',
    // Bundled CommonJS (Bolt, axios, pino) still calls require() for Node's own modules.
    banner: {
      js: "import { createRequire as __ciRequire } from 'node:module'; const require = __ciRequire(import.meta.url);",
    },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outdir = new URL('../dist', import.meta.url).pathname;
  await bundle(outdir);
  console.log(`built ${outdir}/close-incident.mjs and ${outdir}/doctor.mjs`);
}
