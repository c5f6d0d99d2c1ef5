import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

// Attack on "a summary that cannot be posted is not dropped silently" and "never 'will retry' when
// nothing will" (issue 7.4): Slack answers the post with a refusal no retry can change, but one the bot
// does not list by name (#general restricted to admins, an Enterprise Grid workspace the app may not
// reach, an invalid argument). Slack is up; it says no.
const N = '20200526-23';

describe('attack: a post Slack refuses for good is not promised again', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it.each(['posting_to_general_channel_denied', 'team_access_not_granted', 'invalid_arguments'])(
    'Slack answers %s: the analyst is told the bot will not retry, and it does not',
    async (error) => {
      h = await startHarness({ env: { OUTBOX_INTERVAL_MS: '50' } });
      h.slack.outage('chat.postMessage', { error });
      await h.command({ text: `${N} False positive` });
      await h.slack.waitFor(() => h!.slack.responses().length === 1, 8000);
      const told = (h.slack.responses()[0] as { text: string }).text;

      expect(told).toContain(`D3 closed ${N}, but the summary could not be posted`);
      expect(told).toContain(error);
      expect(told).not.toContain('will post it when Slack is reachable again');
      expect(told).toContain('post the closure there yourself');
      // Many replay rounds later: no endless re-posting of a refused summary, nothing left pending.
      await new Promise((r) => setTimeout(r, 600));
      expect(h.slack.calls('chat.postMessage')).toHaveLength(1);
      const metrics = await (await fetch(`${h.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^close_incident_pending_summaries 0$/m);
    },
  );
});
