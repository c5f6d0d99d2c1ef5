import { parseArgs } from 'node:util';
import type { Dispatcher } from 'undici';
import { ConfigError, loadConfig } from '../config.ts';
import { type CheckResult, exitCodeOf, fail } from './check.ts';
import { checkD3Access, checkD3Reachable, checkD3Url, newD3Agent } from './d3.ts';
import { checkSlackSecrets, checkSlackToken } from './slack.ts';
import { checkStore } from './store.ts';
import { checkUserMap } from './user-map.ts';

export interface DoctorOptions {
  /** The environment the app would start with (process.env after dotenv). */
  env: Record<string, string | undefined>;
  /** Command-line arguments after `doctor`: --incident, --user, --site, --manifest. */
  args?: string[];
  cwd?: string;
  /** Called as each check finishes, so a slow one does not hide the others. */
  onResult?: (r: CheckResult) => void;
  /** Tests may pass their own undici dispatcher for D3. */
  d3Dispatcher?: Dispatcher;
}

const USAGE =
  'usage: npm run doctor -- [--incident <number>] [--user <D3 username>] [--site <site>] [--manifest <path>]';

/**
 * Checks an installation the way the app would use it, without closing anything: Slack token and
 * scopes, the Slack secret's shape, the store, the user map, and D3 (reachable, and the key or JWT
 * accepted by a read). Exit code 0 only when no check failed; skipped and warned checks are shown.
 */
export async function runDoctor(o: DoctorOptions): Promise<{ results: CheckResult[]; exitCode: number }> {
  const results: CheckResult[] = [];
  const add = (...rs: CheckResult[]) => {
    for (const r of rs) {
      results.push(r);
      o.onResult?.(r);
    }
  };
  let args: ReturnType<typeof parseOptions>;
  try {
    args = parseOptions(o.args ?? []);
  } catch (e) {
    add(fail('arguments', e instanceof Error ? e.message : String(e), USAGE));
    return { results, exitCode: 1 };
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(o.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    add(...e.problems.map((p) => fail('config', p, 'set it in .env or the environment (see .env.example)')));
    return { results, exitCode: 1 };
  }
  const cwd = o.cwd ?? process.cwd();
  add(...(await checkSlackToken(config, { cwd, manifest: args.manifest })), checkSlackSecrets(config));
  add(await checkStore(config));
  const map = checkUserMap(config);
  add(map.result, checkD3Url(config));
  const agent = o.d3Dispatcher ? undefined : newD3Agent();
  const dispatcher = o.d3Dispatcher ?? (agent as Dispatcher);
  try {
    add(await checkD3Reachable(config, dispatcher));
    add(...(await checkD3Access(config, map.users, args, dispatcher)));
  } finally {
    await agent?.close();
  }
  return { results, exitCode: exitCodeOf(results) };
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      incident: { type: 'string' },
      user: { type: 'string' },
      site: { type: 'string' },
      manifest: { type: 'string' },
    },
    strict: true,
  });
  return values;
}
