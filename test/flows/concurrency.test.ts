import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

describe('closes of one incident that arrive at once', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const reply = (id: string) => JSON.stringify(h.slack.responses(id)[0] ?? '');

  it('sends one close to D3 for 20 simultaneous requests and names the closer to everyone else', async () => {
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 1500 });
    const users = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'U1234' : 'U5678'));
    const acks = await Promise.all(
      users.map((user_id, i) =>
        h.command({ user_id, text: `20200526-23 double submit ${i}`, response_url: h.slack.responseUrl(`r${i}`) }),
      ),
    );
    expect(acks.map((a) => a.status)).toEqual(users.map(() => 200));

    await h.slack.waitFor(() => h.slack.responses().length === 20, 10_000);
    expect(h.d3.closeCalls()).toHaveLength(1);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(1);

    const winners = users.map((_, i) => i).filter((i) => reply(`r${i}`).includes('Closed 20200526-23 in D3'));
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    const holder = users[winner]!;
    expect(h.d3.closeCalls()[0]?.body).toMatchObject({
      CommandParams: { 'Incident Note': `double submit ${winner}` },
    });
    expect(h.slack.calls('chat.postMessage')[0]?.args.text).toEqual(expect.stringContaining(`<@${holder}>`));
    const others = users.map((_, i) => i).filter((i) => i !== winner);
    for (const i of others) expect(reply(`r${i}`)).toContain(`<@${holder}> is already closing 20200526-23`);
  });

  it('treats a double-submitted command (same trigger_id) as one request', async () => {
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 500 });
    const trigger_id = '7012345678901.4412345678.double';
    await Promise.all([
      h.command({ trigger_id, response_url: h.slack.responseUrl('first') }),
      h.command({ trigger_id, response_url: h.slack.responseUrl('second') }),
    ]);
    await h.slack.waitFor(() => h.slack.responses().length === 2, 8000);
    expect(h.d3.closeCalls()).toHaveLength(1);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(1);
    const said = [reply('first'), reply('second')];
    expect(said.filter((t) => t.includes('Closed 20200526-23 in D3'))).toHaveLength(1);
    expect(said.filter((t) => t.includes('already received'))).toHaveLength(1);
  });

  it('lets a different incident close while another is being closed', async () => {
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 1000 });
    await Promise.all([
      h.command({ text: '20200526-23 first', response_url: h.slack.responseUrl('a') }),
      h.command({ user_id: 'U5678', text: '20200526-24 second', response_url: h.slack.responseUrl('b') }),
    ]);
    await h.slack.waitFor(() => h.slack.responses().length === 2, 8000);
    expect(h.d3.closeCalls()).toHaveLength(2);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(2);
    expect(reply('a')).toContain('Closed 20200526-23 in D3');
    expect(reply('b')).toContain('Closed 20200526-24 in D3');
  });
});
