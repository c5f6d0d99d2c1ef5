import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PendingSummary } from '../../src/domain/types.ts';
import { createLog } from '../../src/log.ts';
import { createSummaryClient, createSummaryPost, historyLookupAllowed } from '../../src/slack/summary-post.ts';
import { type FakeSlack, manifestScopes, startFakeSlack } from '../support/fake-slack.ts';

const summary = (id: string): PendingSummary => ({
  id,
  channelId: 'C1234',
  slackUserId: 'U1234',
  d3Username: 'jdoe',
  closure: { incidentNumber: '20200526-23', site: 'Security Operations', note: 'benign' },
  requestId: id,
  createdAt: new Date().toISOString(),
});

describe('posting a summary and finding it again', () => {
  let slack: FakeSlack;
  let poster: ReturnType<typeof createSummaryPost>;
  beforeEach(async () => {
    slack = await startFakeSlack();
    poster = createSummaryPost(createSummaryClient('xoxb-test-token', slack.apiUrl), {
      botId: 'BBOT',
      maxRetryAfterMs: 1_000,
    });
  });
  afterEach(() => slack.stop());

  it('posts with the closure id in message metadata, and finds it in the channel history', async () => {
    expect(await poster.findPosted(summary('closure-1'))).toEqual({ seen: 'absent' });

    expect(await poster.post(summary('closure-1'))).toEqual({ ok: true });

    expect(slack.calls('chat.postMessage')[0]!.args.metadata).toEqual({
      event_type: 'incident_closed',
      event_payload: { closure_id: 'closure-1', incident_number: '20200526-23' },
    });
    expect(await poster.findPosted(summary('closure-1'))).toEqual({ seen: 'posted' });
    expect(await poster.findPosted(summary('closure-2'))).toEqual({ seen: 'absent' });
  });

  it('does not count another app’s message carrying the same closure id', async () => {
    await poster.post(summary('closure-1'));
    const strict = createSummaryPost(createSummaryClient('xoxb-test-token', slack.apiUrl), { botId: 'BOTHER' });

    expect(await strict.findPosted(summary('closure-1'))).toEqual({ seen: 'absent' });
  });

  it('sleeps out a short Retry-After itself and posts once', async () => {
    slack.script('chat.postMessage', { status: 429, headers: { 'retry-after': '1' } });

    expect(await poster.post(summary('closure-1'))).toEqual({ ok: true });
    expect(slack.calls('chat.postMessage')).toHaveLength(2);
    expect(slack.messages('C1234')).toHaveLength(1);
  });

  it('leaves a Retry-After longer than it may wait to the outbox, as proven not posted', async () => {
    slack.script('chat.postMessage', { status: 429, headers: { 'retry-after': '30' } });

    expect(await poster.post(summary('closure-1'))).toEqual({
      ok: false,
      slackError: 'ratelimited',
      permanent: false,
      maybePosted: false,
    });
    expect(slack.calls('chat.postMessage')).toHaveLength(1);
  });

  it('reads a 5xx as maybe posted, and Slack’s own refusal as not posted', async () => {
    slack.script('chat.postMessage', { status: 503 }, { error: 'not_in_channel' });

    expect(await poster.post(summary('closure-1'))).toMatchObject({ ok: false, permanent: false, maybePosted: true });
    expect(await poster.post(summary('closure-1'))).toEqual({
      ok: false,
      slackError: 'not_in_channel',
      permanent: true,
      maybePosted: false,
    });
  });

  it('answers unknown when the history cannot be read', async () => {
    slack.script('conversations.history', { error: 'not_in_channel' }, { status: 429 });

    expect(await poster.findPosted(summary('closure-1'))).toEqual({
      seen: 'unknown',
      reason: 'not_in_channel',
      transient: false,
    });
    expect(await poster.findPosted(summary('closure-1'))).toEqual({
      seen: 'unknown',
      reason: 'ratelimited',
      transient: true,
    });
  });
});

describe('history scopes at start-up', () => {
  const logged = () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { log: createLog('info', sink), lines };
  };
  const withoutHistory = manifestScopes.filter((s) => !s.endsWith(':history'));

  it.each([
    { granted: manifestScopes, lookUp: true, warning: undefined },
    {
      granted: withoutHistory,
      lookUp: false,
      warning: 'no history scopes: closure summaries are posted at least once',
    },
    { granted: [...withoutHistory, 'channels:history', 'groups:history'], lookUp: true, warning: 'im:history' },
    { granted: undefined, lookUp: true, warning: 'did not report the token scopes' },
  ])('looks summaries up: $lookUp, with at most one warning ($warning)', ({ granted, lookUp, warning }) => {
    const { log, lines } = logged();

    expect(historyLookupAllowed(granted, log)).toBe(lookUp);
    expect(lines).toHaveLength(warning ? 1 : 0);
    if (warning) expect(lines[0]).toContain(warning);
  });
});
