import { WebClient } from '@slack/web-api';
import type { Config } from '../config.ts';
import { slackErrorOf } from '../slack/web.ts';
import { type CheckResult, fail, pass, skip } from './check.ts';
import { findManifest, manifestBotScopes } from './manifest.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => 'error', setName() {} };

const TOKEN_FIX =
  'copy the Bot User OAuth Token (xoxb-…) from the app’s OAuth & Permissions page after installing it to the workspace, into SLACK_BOT_TOKEN';

const REACH_FIX = 'check that this host can reach Slack (proxy, firewall) and SLACK_API_URL if set';

/** auth.test with the bot token, then the scopes Slack says it granted against those manifest.yml asks for. */
export async function checkSlackToken(config: Config, o: { cwd: string; manifest?: string }): Promise<CheckResult[]> {
  const web = new WebClient(config.slack.botToken.reveal(), {
    slackApiUrl: config.slack.apiUrl,
    timeout: 10_000,
    retryConfig: { retries: 0 },
    logger: silent as never,
  });
  let auth: Awaited<ReturnType<WebClient['auth']['test']>>;
  try {
    auth = await web.auth.test();
  } catch (e) {
    const error = slackErrorOf(e);
    const refused = (e as { data?: { error?: unknown } }).data?.error !== undefined;
    const token = refused
      ? fail('slack bot token', `Slack refused SLACK_BOT_TOKEN (auth.test: ${error})`, TOKEN_FIX)
      : fail('slack bot token', `no answer from Slack (auth.test: ${error})`, REACH_FIX);
    return [token, skip('slack scopes', 'needs a bot token Slack accepts')];
  }
  const who = `bot ${auth.user ?? '?'} (${auth.user_id ?? '?'}) in ${auth.team ?? '?'} (${auth.team_id ?? '?'})`;
  return [pass('slack bot token', `auth.test ok: ${who}`), scopesCheck(auth.response_metadata?.scopes, o)];
}

function scopesCheck(granted: string[] | undefined, o: { cwd: string; manifest?: string }): CheckResult {
  const path = findManifest(o.cwd, o.manifest);
  if (!path)
    return fail('slack scopes', 'manifest.yml not found', 'run from the project directory or pass --manifest <path>');
  let wanted: string[];
  try {
    wanted = manifestBotScopes(path);
  } catch (e) {
    return fail(
      'slack scopes',
      `cannot read the scopes: ${e instanceof Error ? e.message : e}`,
      'restore manifest.yml',
    );
  }
  // Unknown is not a pass: Slack sends the header on every answer, so its absence (a proxy stripping it)
  // leaves the scopes unchecked, and the run must not end as if they had been.
  if (granted === undefined) {
    return fail(
      'slack scopes',
      'Slack did not report the granted scopes (no x-oauth-scopes header), so they are unchecked',
      `let the x-oauth-scopes header through any proxy to Slack, or compare OAuth & Permissions with manifest.yml by hand: ${wanted.join(', ')}`,
    );
  }
  const missing = wanted.filter((s) => !granted.includes(s));
  if (missing.length > 0) {
    return fail(
      'slack scopes',
      `missing ${missing.join(', ')} (manifest.yml asks for ${wanted.length})`,
      'add them under OAuth & Permissions → Bot Token Scopes (or update the app from manifest.yml), reinstall the app, and put the new bot token in SLACK_BOT_TOKEN if it changed',
    );
  }
  return pass('slack scopes', `all ${wanted.length} scopes manifest.yml asks for are granted`);
}

/**
 * Shapes only: Slack has no call that proves a signing secret (only a signed request from Slack does),
 * and an app token is proven by opening a connection, which the app does at start. Signing secrets
 * are 32 hexadecimal characters; app-level tokens look like xapp-1-A0123ABCD-1234567890-abcdef….
 */
export function checkSlackSecrets(config: Config): CheckResult {
  const appToken = config.slack.appToken?.reveal();
  if (appToken !== undefined) {
    return /^xapp-\d+-[A-Z0-9]+-\d+-[a-f0-9]+$/i.test(appToken)
      ? pass('slack app token', 'Socket Mode: SLACK_APP_TOKEN has the shape of an app-level token (xapp-…)')
      : fail(
          'slack app token',
          'Socket Mode: SLACK_APP_TOKEN does not have the shape of an app-level token (xapp-<n>-<app id>-<digits>-<hex>)',
          'Basic Information → App-Level Tokens → generate one with connections:write, into SLACK_APP_TOKEN',
        );
  }
  const secret = config.slack.signingSecret?.reveal() ?? '';
  return /^[a-f0-9]{32}$/i.test(secret)
    ? pass('slack signing secret', 'HTTP mode: SLACK_SIGNING_SECRET has the shape Slack issues (32 hex characters)')
    : fail(
        'slack signing secret',
        `HTTP mode: SLACK_SIGNING_SECRET is not 32 hexadecimal characters (it has ${secret.length} characters)`,
        'copy Signing Secret (not Client Secret or a token) from Basic Information → App Credentials, into SLACK_SIGNING_SECRET',
      );
}
