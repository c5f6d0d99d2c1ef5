import { describe, expect, it } from 'vitest';
import { type ChannelFind, incidentChannelName, routeSummary } from '../../src/domain/summary-route.ts';

const dir = (answer: ChannelFind | Error) => ({
  find: async () => {
    if (answer instanceof Error) throw answer;
    return answer;
  },
});
const rules = { incidentChannelTemplate: 'inc-{number}', replyBroadcast: false };

describe('where a summary goes', () => {
  it('names the incident channel under Slack’s rules', () => {
    expect(incidentChannelName('INC-{number}', '20200526-23')).toBe('inc-20200526-23');
    expect(incidentChannelName('inc {number}!', 'TEST_INCIDENT.7')).toBe('inc-test_incident-7');
    expect(incidentChannelName(`${'x'.repeat(90)}{number}`, '1')).toHaveLength(80);
    expect(incidentChannelName(undefined, '1')).toBeUndefined();
  });

  it('goes to the incident channel when it exists and the bot is in it, and the thread is dropped', async () => {
    const r = await routeSummary(
      '1-1',
      { channelId: 'CORIG', threadTs: '1.2' },
      rules,
      dir({ found: true, id: 'CINC', member: true }),
    );
    expect(r).toEqual({ primary: { channelId: 'CINC' }, reason: { kind: 'incident_channel', name: 'inc-1-1' } });
  });

  it('keeps the thread when the close came from the incident channel itself', async () => {
    const r = await routeSummary(
      '1-1',
      { channelId: 'CINC', threadTs: '1.2' },
      { ...rules, replyBroadcast: true },
      dir({ found: true, id: 'CINC', member: true }),
    );
    expect(r.primary).toEqual({ channelId: 'CINC', threadTs: '1.2', replyBroadcast: true });
  });

  it('stays at the origin when the channel is absent, not joined, or unknown, and says which', async () => {
    const origin = { channelId: 'CORIG' };
    expect((await routeSummary('1-1', origin, rules, dir({ found: false }))).reason).toEqual({ kind: 'origin' });
    expect((await routeSummary('1-1', origin, rules, dir({ found: true, id: 'CINC', member: false }))).reason).toEqual({
      kind: 'not_in_incident_channel',
      name: 'inc-1-1',
      id: 'CINC',
    });
    expect((await routeSummary('1-1', origin, rules, dir(new Error('boom')))).reason.kind).toBe(
      'incident_channel_unknown',
    );
  });

  it('adds the feed copy unless the summary already goes to the feed', async () => {
    const feedRules = { ...rules, feedChannelId: 'CFEED' };
    expect((await routeSummary('1-1', { channelId: 'CORIG' }, feedRules, dir({ found: false }))).feed).toEqual({
      channelId: 'CFEED',
    });
    expect((await routeSummary('1-1', { channelId: 'CFEED' }, feedRules, dir({ found: false }))).feed).toBeUndefined();
  });
});
