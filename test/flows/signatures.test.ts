import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slashCommandBody } from '../support/fixtures.ts';
import { type Harness, startHarness } from '../support/harness.ts';

describe('requests not signed by Slack', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });
  const body = () => slashCommandBody('close-command.form', { response_url: h.slack.responseUrl() });

  it('rejects a bad signature with 401 and calls nothing', async () => {
    const res = await h.raw(body(), { signature: `v0=${'0'.repeat(64)}` });
    expect(res.status).toBe(401);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('rejects a body signed with another secret', async () => {
    const res = await h.raw(body(), { secret: 'some-other-secret' });
    expect(res.status).toBe(401);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('rejects a timestamp older than five minutes even when correctly signed', async () => {
    const res = await h.raw(body(), { timestampS: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(res.status).toBe(401);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('rejects missing signature headers', async () => {
    const res = await fetch(h.eventsUrl, { method: 'POST', body: body() });
    expect(res.status).toBe(401);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('still serves a good request afterwards', async () => {
    const res = await h.command();
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
  });
});
