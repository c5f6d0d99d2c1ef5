import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

describe('when the D3 queue is already full', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { D3_MAX_RPS: '1', D3_QUEUE_MAX: '1' } });
  });
  afterEach(async () => {
    await h.stop();
  });

  it('refuses in the acknowledgement itself, calls no D3 for it, and records the attempt', async () => {
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 1500 });
    await h.command({ text: 'INC-1 first' });
    await h.slack.waitFor(() => h.d3.closeCalls().length === 1);
    await h.command({ text: 'INC-2 second' });
    await waitForQueueDepth(h, 1);
    const third = await h.command({ text: 'INC-3 third' });

    expect(third.status).toBe(200);
    expect(third.text).toMatch(/too many closes/i);
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 2, 10_000);
    expect(
      h.d3
        .closeCalls()
        .map((c) => (c.body as { CommandParams: Record<string, string> }).CommandParams['Incident Number']),
    ).toEqual(['INC-1', 'INC-2']);
    await h.command({ text: 'history INC-3' });
    await h.slack.waitFor(() => h.slack.responses().some((r) => JSON.stringify(r).includes('queue_full')));
  });

  // The busy refusal is answered before Bolt (close-command.ts earlyCloseAnswer): only for a close from
  // this workspace; every other request still gets its own answer while the queue is full.
  it('still answers other requests, and a close from another workspace, with their own answers', async () => {
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 1500 });
    await h.command({ text: 'INC-1 first' });
    await h.slack.waitFor(() => h.d3.closeCalls().length === 1);
    await h.command({ text: 'INC-2 second' });
    await waitForQueueDepth(h, 1);

    const outsider = await h.command({ team_id: 'T9999', text: 'INC-3 from elsewhere' });
    const help = await h.command({ text: 'help' });
    const list = await h.command({ text: 'INC-4,INC-5 a list' });
    const busy = await h.command({ text: 'INC-6 refused' });

    expect(outsider.text).not.toMatch(/too many closes/i);
    expect(outsider.text).toMatch(/workspace/i);
    expect(help.text).toMatch(/close-incident/);
    expect(help.text).not.toMatch(/too many closes/i);
    expect(list.status).toBe(200);
    expect(busy.text).toMatch(/too many closes/i);
    expect(busy.text).toContain('INC-6');
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 2, 10_000);
    expect(h.d3.closeCalls()).toHaveLength(2);
    // The early refusal is audited as the listener's was: history shows it.
    await h.command({ text: 'history INC-6' });
    await h.slack.waitFor(() => h.slack.responses().some((r) => JSON.stringify(r).includes('queue_full')));
  });

  it('keeps the form open with the reason under the number, and counts a form close waiting for D3 as busy', async () => {
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 1500 });
    await h.command({ text: 'INC-1 first' });
    await h.slack.waitFor(() => h.d3.closeCalls().length === 1);
    // A form close now waits for D3's one slot: a command after it is refused in its acknowledgement.
    const waiting = await h.submit({ values: { incident: 'INC-2', note: 'second, from the form' } });
    expect(waiting.status).toBe(200);
    expect(waiting.text).toBe('');
    await waitForQueueDepth(h, 1);
    const command = await h.command({ text: 'INC-3 third' });
    expect(command.text).toMatch(/too many closes/i);

    const refused = await h.submit({ values: { incident: 'INC-4', note: 'fourth, from the form' } });
    expect(refused.status).toBe(200);
    const body = JSON.parse(refused.text) as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe('errors');
    expect(Object.values(body.errors).join(' ')).toMatch(/too many closes/i);

    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 2, 10_000);
    expect(
      h.d3
        .closeCalls()
        .map((c) => (c.body as { CommandParams: Record<string, string> }).CommandParams['Incident Number']),
    ).toEqual(['INC-1', 'INC-2']);
  });
});

describe('a burst of closes larger than the D3 queue', () => {
  let h: Harness;
  let dir: string;
  beforeEach(async () => {
    // sqlite: each close reads and writes the store (off the event loop) before it reaches D3's queue.
    dir = mkdtempSync(join(tmpdir(), 'busy-'));
    const env = { D3_MAX_RPS: '1', D3_QUEUE_MAX: '2', STORE_URL: `sqlite://${join(dir, 'db.sqlite')}` };
    h = await startHarness({ env });
  });
  afterEach(async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is refused in the acknowledgements: no close answered "Closing…" is refused later for a full queue', async () => {
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 200 });
    const numbers = Array.from({ length: 8 }, (_, i) => `INC-${i + 1}`);
    const acks = await Promise.all(numbers.map((n) => h.command({ text: `${n} burst` })));

    const refused = numbers.filter((_, i) => /too many closes/i.test(acks[i]?.text ?? ''));
    const accepted = numbers.filter((n) => !refused.includes(n));
    // One close starts at once and D3_QUEUE_MAX=2 wait; the rest are told in the acknowledgement.
    // At most one more than D3_QUEUE_MAX: the one that may already have left for D3 when the burst came.
    expect(accepted.length).toBeGreaterThanOrEqual(2);
    expect(accepted.length).toBeLessThanOrEqual(3);
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === accepted.length, 10_000);
    await h.slack.waitFor(() => h.slack.responses().length >= accepted.length, 5_000);
    expect(h.slack.responses().filter((r) => /too many closes/i.test(JSON.stringify(r)))).toEqual([]);
    const closed = h.d3
      .closeCalls()
      .map((c) => (c.body as { CommandParams: Record<string, string> }).CommandParams['Incident Number']);
    expect(closed.sort()).toEqual([...accepted].sort());
  });
});

async function waitForQueueDepth(h: Harness, depth: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const text = await (await fetch(`${h.baseUrl}/metrics`)).text();
    if (new RegExp(`^close_incident_d3_queue_depth ${depth}$`, 'm').test(text)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the D3 queue never reached ${depth}`);
}
