/**
 * Promise broken: "every user-facing path ends in a message that says what happened", and never a
 * message that is untrue.
 *
 * A list from the form was told "Closing 3 incidents…" before its de-duplication ran. When Slack
 * redelivered the same view submission (or the analyst's client sent it twice), the analyst read
 * "Closing 3 incidents…" and then "This list of 3 incidents was already received, so none of them was
 * sent to D3 again…": two messages that contradict each other. A typed list was acknowledged "Closing 3
 * incidents…" the same way before its "already received" replaced it.
 *
 * Real parts: the app over HTTP, fake D3 and fake Slack as servers, signed requests; the app is stopped
 * (which waits for every listener run) before what the analyst received is read, so nothing is timed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { slashCommandBody, viewSubmissionBody } from '../support/fixtures.ts';
import { botToken, type Harness, startHarness } from '../support/harness.ts';

const NUMBERS = ['20200526-23', '20200526-24', '20200526-31'];
const redelivered = { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } };

describe('attack16: a list redelivered by Slack', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const closedOnce = (harness: Harness) =>
    harness.d3
      .closeCalls()
      .map((c) => (c.body as { CommandParams: Record<string, string> }).CommandParams['Incident Number'])
      .sort();

  it('from the form: the first delivery is told "Closing 3 incidents…" then the list; the second only "already received"', async () => {
    h = await startHarness();
    const harness = h;
    const form = viewSubmissionBody('close-modal-submit.json', {
      privateMetadata: createMetadataSealer(botToken).seal({ channel: 'C1234' })!,
      viewId: 'V0LISTREDELIVERED',
      values: { incident: NUMBERS.join('\n'), note: 'storm' },
    });
    const toAnalyst = () => [
      ...harness.slack.calls('chat.postEphemeral').map((c) => String(c.args.text)),
      ...harness.slack
        .calls('chat.postMessage')
        .filter((c) => c.args.channel === 'U1234')
        .map((c) => String(c.args.text)),
    ];

    expect((await harness.raw(form)).status).toBe(200);
    await harness.slack.waitFor(() => toAnalyst().some((t) => t.includes('3 closed')), 10_000);
    const first = toAnalyst();
    expect((await harness.raw(form, redelivered)).status).toBe(200);
    await harness.slack.waitFor(() => toAnalyst().length > first.length, 10_000);
    await harness.stop({ keepFakes: true });
    const second = toAnalyst().slice(first.length);
    console.log(`[attack16 form] first: ${JSON.stringify(first)}; second: ${JSON.stringify(second)}`);

    expect(first).toHaveLength(2);
    expect(first[0]).toMatch(/^Closing 3 incidents…/);
    expect(first[1]).toContain('3 closed');
    expect(second).toHaveLength(1);
    expect(second[0]).toMatch(/^This list of 3 incidents was already received, so none of them was sent to D3 again/);
    expect(closedOnce(harness)).toEqual(NUMBERS);
    expect(harness.slack.messages('C1234')).toHaveLength(1);
  }, 30_000);

  it('from the command: the redelivered command is acknowledged "already received", not "Closing 3 incidents…"', async () => {
    h = await startHarness();
    const harness = h;
    const command = slashCommandBody('close-command.form', {
      text: `${NUMBERS.join(',')} storm`,
      response_url: harness.slack.responseUrl('analyst'),
      trigger_id: '1337.4412345678.a16redelivered',
    });
    const responses = () => harness.slack.responses('analyst').map((r) => r as { text: string });

    const ack1 = await harness.raw(command);
    expect(ack1.status).toBe(200);
    await harness.slack.waitFor(() => responses().some((r) => r.text.includes('finished')), 10_000);
    const before = responses().length;
    const ack2 = await harness.raw(command, redelivered);
    await harness.stop({ keepFakes: true });
    const after = responses().slice(before);
    console.log(`[attack16 command] acks: ${JSON.stringify([ack1.text, ack2.text])}; after: ${JSON.stringify(after)}`);

    expect(ack1.text).toContain('Closing 3 incidents');
    expect(responses()[before - 1]?.text).toContain('3 closed');
    expect(ack2.status).toBe(200);
    expect(ack2.text).not.toContain('Closing');
    expect(ack2.text).toContain('This list of 3 incidents was already received, so none of them was sent to D3 again');
    expect(after).toEqual([]);
    expect(closedOnce(harness)).toEqual(NUMBERS);
    expect(harness.slack.messages('C1234')).toHaveLength(1);
  }, 30_000);
});
