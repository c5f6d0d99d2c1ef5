import { describe, expect, it } from 'vitest';
import type { Outcome, SummaryDelivery } from '../../src/domain/types.ts';
import { outcomeMessage } from '../../src/slack/render/outcome.ts';

const ctx = { incidentNumber: '20200526-23', supportContact: '#soc-tooling' };
const told = (delivery: SummaryDelivery): string => {
  const outcome: Outcome = {
    ok: true,
    closure: { incidentNumber: '20200526-23', site: 'Security Operations', note: 'benign', closedBy: 'jdoe' },
    delivery,
    d3Username: 'jdoe',
  };
  return outcomeMessage(outcome, ctx).text;
};

describe('what the analyst is told about the summary', () => {
  it('says a restart would lose a summary held only in memory, and what to do', () => {
    const text = told({
      status: 'not_posted',
      channelId: 'C1234',
      slackError: 'service_unavailable',
      willRetry: true,
      heldInMemory: true,
    });
    expect(text).toMatch(/^D3 closed 20200526-23, but the summary could not be posted in <#C1234>: /);
    expect(text).toContain('keep trying only while it runs');
    expect(text).toContain('post the closure there yourself');
    expect(text).not.toContain('will post it when Slack is reachable again');
  });

  it('never promises a retry when nothing will retry', () => {
    const text = told({
      status: 'not_posted',
      channelId: 'C1234',
      slackError: 'service_unavailable',
      willRetry: false,
    });
    expect(text).toContain('Slack refused the message (service_unavailable)');
    expect(text).toContain('the bot will not retry it, so post the closure there yourself');
    expect(text).not.toMatch(/will post it|keep trying/);
  });

  it('says another instance is posting it, not that Slack refused it', () => {
    const text = told({ status: 'not_posted', channelId: 'C1234', slackError: 'claimed_elsewhere', willRetry: true });
    expect(text).toBe(
      'D3 closed 20200526-23; another instance of the bot is posting the summary in <#C1234> right now (if that fails, it stays queued and is retried).',
    );
  });

  it('says another instance took the summary over once it has finished with it', () => {
    expect(told({ status: 'handled_elsewhere', channelId: 'C1234' })).toBe(
      'Closed 20200526-23 in D3 as jdoe (Security Operations). Another instance of the bot took over the summary: it is posted in <#C1234>, or you will be told why not.',
    );
  });
});
