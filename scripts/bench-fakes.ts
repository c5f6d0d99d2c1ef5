/**
 * Benchmark helper, run as a child of scripts/bench.ts (fork with tsx): the fake D3 and fake Slack on
 * loopback, in a process of their own so their work neither slows the load generator's clock nor
 * counts in the app's RSS. Driven over IPC:
 *   { type: 'start', d3DelayMs }  → { type: 'started', d3Url, slackApiUrl, responseUrl }  (fresh fakes)
 *   { type: 'stats' }             → { type: 'stats', ...FakeStats }
 *   { type: 'stop' }              → exits
 */
import { type FakeD3, startFakeD3 } from '../test/support/fake-d3.ts';
import { type FakeSlack, startFakeSlack } from '../test/support/fake-slack.ts';
import { botToken, d3Key } from '../test/support/harness.ts';

export type FakesRequest = { type: 'start'; d3DelayMs: number } | { type: 'stats' } | { type: 'stop' };

export interface FakeStats {
  /** Arrival time (Date.now) of every D3 request, close and state alike. */
  d3Times: number[];
  d3CloseCalls: number;
  /** Arrival time of every chat.postMessage (one per closure summary). */
  postTimes: number[];
  /** Replies sent to response_url, by what they told the analyst. */
  responses: { total: number; queueFull: number; other: number };
  /** For the fleet bench: arrival of each close call and its incident, and every response_url text. */
  d3Closes: Array<{ at: number; incident: string }>;
  responseTexts: string[];
}

export type FakesReply =
  | { type: 'started'; d3Url: string; slackApiUrl: string; responseUrl: string }
  | ({ type: 'stats' } & FakeStats)
  | { type: 'error'; message: string };

let d3: FakeD3 | undefined;
let slack: FakeSlack | undefined;

const send = (m: FakesReply) => process.send?.(m);

async function stopFakes(): Promise<void> {
  await Promise.all([d3?.stop(), slack?.stop()]);
  d3 = undefined;
  slack = undefined;
}

function stats(): FakeStats {
  const responses = { total: 0, queueFull: 0, other: 0 };
  for (const body of slack?.responses() ?? []) {
    responses.total++;
    const text = String((body as { text?: unknown } | null)?.text ?? '');
    if (/too many closes at once/i.test(text)) responses.queueFull++;
    else responses.other++;
  }
  return {
    d3Times: (d3?.requests() ?? []).map((r) => r.at),
    d3CloseCalls: d3?.closeCalls().length ?? 0,
    d3Closes: (d3?.closeCalls() ?? []).map((c) => ({
      at: c.at,
      incident: String((c.body as { CommandParams?: Record<string, unknown> })?.CommandParams?.['Incident Number']),
    })),
    responseTexts: (slack?.responses() ?? []).map((b) => String((b as { text?: unknown } | null)?.text ?? '')),
    postTimes: (slack?.calls('chat.postMessage') ?? []).map((c) => c.at),
    responses,
  };
}

process.on('message', (m: FakesRequest) => {
  void (async () => {
    try {
      if (m.type === 'start') {
        await stopFakes();
        d3 = await startFakeD3({ apiKey: d3Key, delayMs: m.d3DelayMs });
        slack = await startFakeSlack({ botToken });
        send({ type: 'started', d3Url: d3.url, slackApiUrl: slack.apiUrl, responseUrl: slack.responseUrl('bench') });
      } else if (m.type === 'stats') {
        send({ type: 'stats', ...stats() });
      } else if (m.type === 'stop') {
        await stopFakes();
        process.exit(0);
      }
    } catch (e) {
      send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  })();
});

// The parent going away (killed, crashed) must not leave the fakes listening.
process.on('disconnect', () => process.exit(0));
