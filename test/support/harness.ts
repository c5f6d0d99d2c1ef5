import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.ts';
import { createLog } from '../../src/log.ts';
import { type Running, type RuntimeOptions, startBot } from '../../src/runtime/index.ts';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { type FakeD3, startFakeD3 } from './fake-d3.ts';
import { type FakeSlack, startFakeSlack } from './fake-slack.ts';
import { slashCommandBody, viewSubmissionBody } from './fixtures.ts';
import { postSigned } from './sign.ts';

export const signingSecret = 'test-signing-secret-0123456789';
export const botToken = 'xoxb-test-token';
export const d3Key = 'test-d3-key-s3cr3t';

export const defaultUserMap = `defaultSite: Security Operations
users:
  U1234: { username: jdoe }
  U5678: { username: asmith, site: Client A }
  jane.roe@example.com: { username: jroe }
  U0NOSITE: { username: nosite }
`;

export interface HarnessOptions {
  env?: Record<string, string>;
  userMap?: string;
  slackUsers?: Record<string, { email?: string; name?: string }>;
  userGroups?: Record<string, string[]>;
  runtime?: RuntimeOptions;
  /** Reuse fakes (e.g. a second app instance against the same D3 and Slack). */
  d3?: FakeD3;
  slack?: FakeSlack;
}

/** Fake D3 and fake Slack on loopback, and the real app between them, configured as in production. */
export async function startHarness(o: HarnessOptions = {}) {
  const d3 = o.d3 ?? (await startFakeD3({ apiKey: d3Key }));
  const slack = o.slack ?? (await startFakeSlack({ botToken, users: o.slackUsers, userGroups: o.userGroups }));
  const dir = mkdtempSync(join(tmpdir(), 'close-incident-'));
  const userMapFile = join(dir, 'users.yml');
  writeFileSync(userMapFile, o.userMap ?? defaultUserMap);
  const env = harnessEnv({ d3Url: d3.url, slackApiUrl: slack.apiUrl, userMapFile, ...o.env });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const bot: Running = await startBot(loadConfig(env), {
    log: createLog(env.LOG_LEVEL ?? 'info', sink),
    ...o.runtime,
  });
  const eventsUrl = `http://127.0.0.1:${bot.port}/slack/events`;
  const form = 'application/x-www-form-urlencoded';
  let commandCount = 0;

  return {
    d3,
    slack,
    bot,
    env,
    baseUrl: `http://127.0.0.1:${bot.port}`,
    eventsUrl,
    /** Everything the app logged, one JSON line per entry. */
    logs: () => logLines.join(''),
    /** Replays the recorded slash command with fields patched, signed as Slack signs it. */
    command(patch: Record<string, string> = {}, fixture = 'close-command.form') {
      // Slack issues a fresh trigger_id for every invocation; the recording's one is reused only when a test says so.
      const trigger_id = `${Date.now()}.4412345678.${(commandCount++).toString(16).padStart(8, '0')}`;
      const body = slashCommandBody(fixture, { response_url: slack.responseUrl(), trigger_id, ...patch });
      return postSigned(eventsUrl, body, { secret: signingSecret, contentType: form });
    },
    /** Replays the recorded modal submission with fields patched. */
    submit(patch: Parameters<typeof viewSubmissionBody>[1] = {}, fixture = 'close-modal-submit.json') {
      // The recording's metadata is what Slack echoes back; ours is signed, as the app would have set it.
      const privateMetadata = createMetadataSealer(botToken).seal({ channel: 'C1234' })!;
      const body = viewSubmissionBody(fixture, { privateMetadata, ...patch });
      return postSigned(eventsUrl, body, { secret: signingSecret, contentType: form });
    },
    /** A raw signed (or deliberately mis-signed) request. */
    raw(body: string, opts: Omit<Parameters<typeof postSigned>[2], 'secret'> & { secret?: string } = {}) {
      return postSigned(eventsUrl, body, { secret: signingSecret, contentType: form, ...opts });
    },
    async stop(opts: { keepFakes?: boolean } = {}) {
      await bot.stop();
      if (!opts.keepFakes) await Promise.all([o.d3 ? undefined : d3.stop(), o.slack ? undefined : slack.stop()]);
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

/** The environment the app runs with against the fakes: throwaway secrets, loopback only. */
export function harnessEnv(p: { d3Url: string; slackApiUrl: string; userMapFile: string } & Record<string, string>) {
  const { d3Url, slackApiUrl, userMapFile, ...rest } = p;
  return {
    SLACK_BOT_TOKEN: botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slackApiUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    D3_BASE_URL: d3Url,
    D3_API_NAMESPACE: 'VSOC',
    D3_API_KEY: d3Key,
    D3_ALLOW_INSECURE_HTTP: 'true',
    D3_TIMEOUT_MS: '3000',
    D3_RETRY_DEADLINE_MS: '4000',
    USER_MAP_FILE: userMapFile,
    STORE_URL: 'memory://',
    LOG_LEVEL: 'info',
    // The suite's D3 scripts predate the preview read; preview tests turn it on (production default: on).
    D3_PREVIEW: 'false',
    ...rest,
  } as Record<string, string>;
}
