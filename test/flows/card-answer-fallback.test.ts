/**
 * A confirmation card's answers that never reach the durable queue (cancelled, already used, expired)
 * go to the click's response_url. When Slack refuses that (expired, used up), the analyst must still be
 * told: an ephemeral message where they clicked, else a DM. Promise: "every path a user can hit ends in a
 * message that says what happened and what to do next". Before, the answer was lost with a log line.
 *
 * Real parts: the app over HTTP, fake D3 and fake Slack as servers, signed requests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createButtonSealer } from '../../src/slack/button-value.ts';
import { clickCard, showCard } from '../support/card.ts';
import { botToken, type Harness, startHarness } from '../support/harness.ts';

const N = '20200526-23';
let h: Harness;
afterEach(async () => h?.stop());

async function cardShown() {
  h = await startHarness({ env: { CONFIRM_BEFORE_CLOSE: 'true', D3_PREVIEW: 'true' } });
  h.d3.incidents.set(N, { status: 'Open', site: 'Security Operations' });
  return showCard(h, `${N} benign scanner`, 'card');
}

const dms = () => h.slack.calls('chat.postMessage').filter((c) => c.args.channel === 'U1234');
const ephemerals = () =>
  h.slack.calls('chat.postEphemeral').map((c) => ({ channel: c.args.channel, user: c.args.user, text: c.args.text }));

describe('a card answer its response_url refuses reaches the analyst directly', () => {
  it('Cancel: "cancelled" as an ephemeral message in the channel, nothing closed', async () => {
    const { cancel } = await cardShown();
    h.slack.script('response_url', { status: 404 });
    expect((await clickCard(h, cancel, 'cancel_close', 'cancel')).status).toBe(200);
    await h.slack.waitFor(() => ephemerals().length === 1, 8_000);
    expect(ephemerals()).toEqual([{ channel: 'C1234', user: 'U1234', text: expect.stringContaining('Cancelled') }]);
    expect(h.slack.responses('cancel')).toEqual([]);
    expect(h.d3.closeCalls()).toHaveLength(0);
  });

  it('a second Close on a used card, its response_url refusing everything: "already used" once, directly; one close in D3', async () => {
    const { close } = await cardShown();
    await clickCard(h, close, 'confirm_close', 'first');
    await h.slack.waitFor(() => h.slack.responses('first').length === 1, 8_000);
    expect(h.d3.closeCalls()).toHaveLength(1);
    h.slack.outage('response_url', { status: 404 });
    await clickCard(h, close, 'confirm_close', 'second');
    // This answer goes through the durable queue, whose fallback is a DM (queued-reply.ts).
    const direct = () => [...ephemerals().map((e) => e.text), ...dms().map((c) => c.args.text)];
    await h.slack.waitFor(() => direct().length >= 1, 8_000);
    await h.stop({ keepFakes: true });
    expect(direct()).toEqual([expect.stringMatching(/already used/)]);
    expect(h.d3.closeCalls()).toHaveLength(1);
  });

  it('an expired button, the channel refusing ephemeral messages too: a DM says so', async () => {
    await cardShown();
    const old = createButtonSealer(botToken).seal({
      id: 'any',
      n: N,
      user: 'U1234',
      exp: Date.now() - 1,
      action: 'close',
    });
    h.slack.script('response_url', { status: 404 });
    h.slack.script('chat.postEphemeral', { ok: false, error: 'channel_not_found' });
    await clickCard(h, old, 'confirm_close', 'old');
    await h.slack.waitFor(() => dms().length === 1, 8_000);
    expect(String(dms()[0]!.args.text)).toMatch(/older than 10 minutes/);
    expect(h.d3.closeCalls()).toHaveLength(0);
  });

  it('the response_url taking the answer: no ephemeral message, no DM', async () => {
    const { cancel } = await cardShown();
    await clickCard(h, cancel, 'cancel_close', 'cancel');
    await h.slack.waitFor(() => h.slack.responses('cancel').length === 1, 8_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(ephemerals()).toEqual([]);
    expect(dms()).toEqual([]);
  });
});
