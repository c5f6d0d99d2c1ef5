import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

describe('a Slack that never answers', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  // A shutdown that would wait for a held listener outlasts the test's own timeout.
  const start = () => startHarness({ env: { SHUTDOWN_TIMEOUT_MS: '120000' }, runtime: { slackTimeoutMs: 300 } });
  const stopNow = async (harness: Harness) => {
    await harness.stop();
    h = undefined;
  };

  it('gives up on a views.open Slack never answers, logs the timeout and holds nothing at shutdown', async () => {
    h = await start();
    h.slack.script('views.open', { hang: true }, { hang: true });
    const res = await h.command({ text: '' });
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h!.logs().includes('unhandled listener error'));
    expect(h.logs()).toMatch(/aborted due to timeout/);
    expect(h.slack.hung('views.open')).toHaveLength(2);
    await h.slack.waitFor(() => h!.slack.responses().length === 1);
    expect(JSON.stringify(h.slack.responses()[0])).toMatch(/Something went wrong on our side \(ref /);
    await stopNow(h);
  });

  it('gives up on a response_url Slack never answers after a close, still posts the summary, and tells the analyst by DM', async () => {
    h = await start();
    h.slack.script('response_url', { hang: true }, { hang: true });
    const res = await h.command({ text: '20200526-23 closed while Slack hangs' });
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h!.slack.calls('chat.postMessage').length === 2, 20_000);
    expect(h.slack.hung('response_url')).toHaveLength(2);
    expect(h.logs()).toMatch(/aborted due to timeout/);
    expect(h.d3.closeCalls()).toHaveLength(1);
    expect(h.slack.calls('chat.postMessage')[1]!.args.channel).toBe('U1234');
    await stopNow(h);
  });

  it('gives up on a chat.postEphemeral Slack never answers after a modal close, and tells the analyst by DM', async () => {
    h = await start();
    h.slack.script('chat.postEphemeral', { hang: true }, { hang: true }, { hang: true });
    const res = await h.submit({ viewId: 'V0HANG' });
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h!.slack.calls('chat.postMessage').length === 2);
    expect(h.slack.hung('chat.postEphemeral')).toHaveLength(3);
    expect(h.slack.calls('chat.postMessage')[1]!.args.channel).toBe('U1234');
    await stopNow(h);
  });
});
