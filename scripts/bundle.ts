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
import { build, type Plugin } from 'esbuild';

export const external = ['sqlite3', '@keyv/redis', 'jose'];

/**
 * Bolt's ExpressReceiver (express) and its own body reading (raw-body, with iconv-lite's 500 KB of
 * encodings) are loaded by Bolt's index whatever the receiver; ours reads bodies itself (slack/read-body.ts)
 * and never builds an ExpressReceiver. Left out of the bundle, they cost nothing at start-up. Should a
 * Bolt path ever call them, it throws saying so (tested: test/flows/bundle.test.ts, HTTP and Socket Mode), never reads a body wrongly.
 */
export const stubbed = ['express', 'raw-body'];
const stubBoltOnly: Plugin = {
  name: 'stub-bolt-only',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${stubbed.join('|')})$`) }, (a) =>
      a.importer.includes('/@slack/bolt/') ? { path: a.path, namespace: 'stubbed' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'stubbed' }, (a) => ({
      contents: [
        `const fail = () => { throw new Error(${JSON.stringify(`${a.path} is not in this build (scripts/bundle.ts)`)}); };`,
        'module.exports = Object.assign(fail, { default: fail, Router: fail, json: fail, urlencoded: fail, raw: fail, text: fail });',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

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
    plugins: [stubBoltOnly],
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
