import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

describe('when D3 does not confirm the closure', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { D3_TIMEOUT_MS: '800', D3_RETRY_DEADLINE_MS: '1500' } });
  });
  afterEach(async () => {
    await h.stop();
  });

  const outcome = async () => {
    await h.slack.waitFor(() => h.slack.responses().length === 1, 8000);
    return JSON.stringify(h.slack.responses()[0]);
  };

  it('shows D3’s own words for a 200 with a non-empty error, and posts nothing', async () => {
    h.d3.script('close', { fixture: 'close-error.json' });
    await h.command();
    expect(await outcome()).toContain('Incident not found');
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('treats returnData "Failed" with an empty error as a failure', async () => {
    h.d3.script('close', { fixture: 'close-failed-word.json' });
    await h.command();
    expect(await outcome()).toMatch(/refused|not closed|could not/i);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('explains a 401 without technical detail and names the setting in the log', async () => {
    h.d3.script('close', { status: 401, fixture: '401.json' });
    await h.command();
    const text = await outcome();
    expect(text).toMatch(/credentials|key/i);
    expect(text).not.toContain(h.env.D3_API_KEY);
    expect(h.d3.closeCalls()).toHaveLength(1);
    expect(h.logs()).toContain('D3_API_KEY');
    expect(h.logs()).not.toContain(h.env.D3_API_KEY);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('retries a 429 within the deadline and then tells the analyst D3 is busy', async () => {
    h.d3.script('close', ...Array.from({ length: 20 }, () => ({ status: 429, fixture: '429.json' })));
    await h.command();
    expect(await outcome()).toMatch(/busy|rate|try again/i);
    expect(h.d3.closeCalls().length).toBeGreaterThan(1);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('reports a 500 as not confirmed and posts no summary', async () => {
    h.d3.script('close', { status: 500, fixture: '500.json' }, { status: 500, fixture: '500.json' });
    h.d3.script('state', { status: 500, fixture: '500.json' });
    await h.command();
    expect(await outcome()).toMatch(/check .*D3|could not tell|not closed|unavailable/i);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('tells the analyst when D3 cannot be reached at all', async () => {
    await h.stop();
    h = await startHarness({
      env: { D3_BASE_URL: 'http://127.0.0.1:9/d3', D3_TIMEOUT_MS: '500', D3_RETRY_DEADLINE_MS: '1000' },
    });
    await h.command();
    expect(await outcome()).toMatch(/reach|unreachable|could not connect/i);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('treats an HTML error page as no confirmation', async () => {
    h.d3.script('close', { status: 200, fixture: 'html-error.html' });
    await h.command();
    expect(await outcome()).toMatch(/understand|unexpected|check/i);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('tells the analyst that D3 closed it when the summary cannot be posted', async () => {
    h.slack.script('chat.postMessage', { ok: false, error: 'not_in_channel' });
    await h.command();
    const text = await outcome();
    expect(text).toMatch(/closed/i);
    expect(text).toMatch(/invite/i);
    expect(h.d3.closeCalls()).toHaveLength(1);
  });
});
