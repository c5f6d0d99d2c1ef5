/**
 * attack17b on the card's direct fallback (listeners/card-reply.ts, commit 9d61691): an answer the
 * response_url refuses goes as an ephemeral message, else a DM. Promises: one click, no contradictory
 * answers (never "cannot say yet" after "Closed"), no secret (the response_url) in logs, and a fallback
 * that fails too ends in a log line, not a crash.
 *
 * Real parts: the app over HTTP, fake D3 and fake Slack as servers, signed requests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { blockActionBody } from '../support/block-actions.ts';
import { clickCard, showCard } from '../support/card.ts';
import { type Harness, signingSecret, startHarness } from '../support/harness.ts';
import { postSigned } from '../support/sign.ts';

const N = '20200526-23';
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** What was sent to the analyst, in the order Slack got it: response_url POSTs (not hung), ephemerals, DMs. */
function seen(harness: Harness) {
  const told: Array<{ via: string; text: string }> = [];
  harness.slack.onRequest((c) => {
    if (c.hang) return;
    const text = String(c.args.text ?? '');
    if (c.method === 'response_url') told.push({ via: 'response_url', text });
    if (c.method === 'chat.postEphemeral') told.push({ via: 'ephemeral', text });
    if (c.method === 'chat.postMessage' && c.args.channel === 'U1234') told.push({ via: 'dm', text });
  });
  return told;
}

async function cardWithSlowD3(delayMs: number, slackTimeoutMs = 8_000) {
  h = await startHarness({
    env: { CONFIRM_BEFORE_CLOSE: 'true', D3_PREVIEW: 'true', D3_TIMEOUT_MS: '15000', D3_RETRY_DEADLINE_MS: '20000' },
    runtime: { slackTimeoutMs },
  });
  const harness = h;
  harness.d3.incidents.set(N, { status: 'Open', site: 'Security Operations' });
  const card = await showCard(harness, `${N} benign scanner`, 'card');
  harness.d3.script('close', { delayMs });
  return { harness, card };
}

const pendingText = /cannot say yet whether it is closed/;
const closedText = /^Closed 20200526-23 in D3/;

describe('attack17b: the card answer fallback with a slow D3', () => {
  it('the "still closing" notice hangs on the response_url until after the closure is told: no "cannot say yet" after "Closed"', async () => {
    // Notice at 5 s hangs until Slack's timeout (3 s here); D3 answers at 6.5 s and the closure is told
    // on the response_url then; the notice's fallback would land at about 8 s, after the closure.
    const { harness, card } = await cardWithSlowD3(6_500, 3_000);
    const told = seen(harness);
    harness.slack.script('response_url', { hang: true });
    expect((await clickCard(harness, card.close, 'confirm_close', 'click1')).status).toBe(200);
    await harness.slack.waitFor(() => told.some((t) => closedText.test(t.text)), 20_000);
    // Past the notice's timeout and its fallback.
    await new Promise((r) => setTimeout(r, 3_500));
    await harness.stop({ keepFakes: true });
    const closedAt = told.findIndex((t) => closedText.test(t.text));
    expect(told.slice(closedAt + 1).filter((t) => pendingText.test(t.text))).toEqual([]);
    expect(told.filter((t) => closedText.test(t.text))).toHaveLength(1);
    expect(harness.d3.closeCalls()).toHaveLength(1);
    expect(harness.logs()).not.toContain('/response/click1');
  }, 40_000);

  it('the response_url refusing everything: "still closing" as an ephemeral message, then "Closed" by DM, one each, in that order', async () => {
    const { harness, card } = await cardWithSlowD3(7_000);
    const told = seen(harness);
    harness.slack.outage('response_url', { status: 404, body: { ok: false, error: 'expired_url' } });
    expect((await clickCard(harness, card.close, 'confirm_close', 'click1')).status).toBe(200);
    await harness.slack.waitFor(() => told.some((t) => t.via === 'dm'), 20_000);
    await new Promise((r) => setTimeout(r, 300));
    await harness.stop({ keepFakes: true });
    // Every response_url POST was refused (seen() records them as they arrive): what reached the analyst.
    const direct = told.filter((t) => t.via !== 'response_url');
    expect(direct.map((t) => t.via)).toEqual(['ephemeral', 'dm']);
    expect(direct[0]!.text).toMatch(pendingText);
    expect(direct[0]!.text).not.toMatch(/not closed|was not/);
    expect(direct[1]!.text).toMatch(closedText);
    expect(harness.d3.closeCalls()).toHaveLength(1);
    expect(harness.logs()).not.toContain('/response/click1');
  }, 40_000);
});

describe('attack17b: the notice\u2019s own fallback slow', () => {
  it('the notice refused at once but its ephemeral message slow (3 s): the closure, by DM, comes after it, not before', async () => {
    const { harness, card } = await cardWithSlowD3(6_000);
    harness.slack.outage('response_url', { status: 404, body: { ok: false, error: 'expired_url' } });
    harness.slack.script('chat.postEphemeral', { delayMs: 3_000 });
    expect((await clickCard(harness, card.close, 'confirm_close', 'click1')).status).toBe(200);
    const direct = () =>
      harness.slack
        .calls()
        .filter(
          (c) => c.method === 'chat.postEphemeral' || (c.method === 'chat.postMessage' && c.args.channel === 'U1234'),
        )
        .map((c) => String(c.args.text));
    await harness.slack.waitFor(() => direct().some((t) => closedText.test(t)), 20_000);
    await new Promise((r) => setTimeout(r, 300));
    await harness.stop({ keepFakes: true });
    // calls() is in the order Slack answered them: what the analyst saw first comes first.
    expect(direct()).toHaveLength(2);
    expect(direct()[0]).toMatch(pendingText);
    expect(direct()[1]).toMatch(closedText);
    expect(harness.d3.closeCalls()).toHaveLength(1);
  }, 40_000);
});

describe('attack17b: every way to tell the analyst refused', () => {
  it('Cancel with the response_url, the ephemeral and the DM all refused: a log line, no crash; the next click is answered', async () => {
    h = await startHarness({ env: { CONFIRM_BEFORE_CLOSE: 'true', D3_PREVIEW: 'true' } });
    const harness = h;
    harness.d3.incidents.set(N, { status: 'Open', site: 'Security Operations' });
    const { cancel } = await showCard(harness, `${N} benign scanner`, 'card');
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      harness.slack.script('response_url', { status: 410 });
      harness.slack.script('chat.postEphemeral', { ok: false, error: 'channel_not_found' });
      harness.slack.script('chat.postMessage', { ok: false, error: 'cannot_dm_bot' });
      expect((await clickCard(harness, cancel, 'cancel_close', 'c1')).status).toBe(200);
      await harness.slack.waitFor(() => harness.slack.calls('chat.postMessage').length >= 1, 8_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(harness.logs()).toMatch(/cannot_dm_bot|telling the analyst directly/);
      // Slack working again: the same card's second click is answered ("already used").
      expect((await clickCard(harness, cancel, 'cancel_close', 'c2')).status).toBe(200);
      await harness.slack.waitFor(() => harness.slack.responses('c2').length === 1, 8_000);
      expect(String((harness.slack.responses('c2')[0] as { text: string }).text)).toMatch(/already used/);
      expect(unhandled).toEqual([]);
      expect(harness.logs()).not.toContain('/response/c1');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }, 30_000);
});

describe('attack17b: who and where the fallback tells', () => {
  async function card() {
    h = await startHarness({ env: { CONFIRM_BEFORE_CLOSE: 'true', D3_PREVIEW: 'true' } });
    const harness = h;
    harness.d3.incidents.set(N, { status: 'Open', site: 'Security Operations' });
    return { harness, ...(await showCard(harness, `${N} benign scanner`, 'card')) };
  }
  /** The card's click with the payload changed as `patch` says, its answers going to response_url `tag`. */
  function click(harness: Harness, value: string, tag: string, patch: (p: Record<string, unknown>) => void) {
    const form = new URLSearchParams(
      blockActionBody('block-actions-confirm.json', { value, responseUrl: harness.slack.responseUrl(tag) }),
    );
    const p = JSON.parse(form.get('payload')!) as Record<string, unknown>;
    patch(p);
    return postSigned(harness.eventsUrl, new URLSearchParams({ payload: JSON.stringify(p) }).toString(), {
      secret: signingSecret,
    });
  }
  const direct = (harness: Harness) =>
    harness.slack
      .calls()
      .filter((c) => c.method === 'chat.postEphemeral' || c.method === 'chat.postMessage')
      .map((c) => ({ method: c.method, channel: c.args.channel, user: c.args.user, text: String(c.args.text) }));

  it('a click from another workspace, its response_url refusing: nothing posted by the Web API, nothing closed, the refusal still audited', async () => {
    const { harness, close } = await card();
    harness.slack.outage('response_url', { status: 404 });
    const res = await click(harness, close, 'outsider', (p) => {
      p.team = { id: 'T9999', domain: 'other' };
      (p.user as Record<string, unknown>).team_id = 'T9999';
    });
    expect(res.status).toBe(200);
    // Audited as refused, even though its response_url took nothing.
    await harness.slack.waitFor(() => harness.logs().includes('foreign_workspace'), 3_000);
    expect(harness.logs()).not.toContain('unhandled listener error');
    await new Promise((r) => setTimeout(r, 500));
    expect(direct(harness)).toEqual([]);
    expect(harness.d3.closeCalls()).toHaveLength(0);
  });

  it("another user's click on the card, its response_url refusing: the clicker (not the owner) is told, nothing closed", async () => {
    const { harness, close } = await card();
    harness.slack.script('response_url', { status: 404 });
    await click(harness, close, 'other', (p) => {
      (p.user as Record<string, unknown>).id = 'U5678';
    });
    await harness.slack.waitFor(() => direct(harness).length >= 1, 8_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(direct(harness)).toEqual([
      {
        method: 'chat.postEphemeral',
        channel: 'C1234',
        user: 'U5678',
        text: expect.stringMatching(/older than 10 minutes/),
      },
    ]);
    expect(harness.d3.closeCalls()).toHaveLength(0);
  });

  it('a click with no channel (the card in a DM Slack names no channel for), its response_url refusing: the answer goes to the clicker only', async () => {
    const { harness, cancel } = await card();
    harness.slack.script('response_url', { status: 404 });
    harness.slack.script('chat.postEphemeral', { ok: false, error: 'channel_not_found' });
    await click(harness, cancel, 'nochan', (p) => {
      delete p.channel;
      (p.actions as Array<Record<string, unknown>>)[0]!.action_id = 'cancel_close';
    });
    await harness.slack.waitFor(() => harness.slack.calls('chat.postMessage').length >= 1, 8_000);
    await new Promise((r) => setTimeout(r, 200));
    const posted = direct(harness).filter((c) => c.method === 'chat.postMessage');
    expect(posted).toEqual([
      { method: 'chat.postMessage', channel: 'U1234', user: undefined, text: expect.stringMatching(/Cancelled/) },
    ]);
    expect(harness.d3.closeCalls()).toHaveLength(0);
  });
});
