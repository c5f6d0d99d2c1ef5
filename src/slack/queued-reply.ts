import type { WebClient } from '@slack/web-api';
import type { QueuedClose } from '../domain/ports.ts';
import type { Outcome } from '../domain/types.ts';
import type { Log } from '../log.ts';
import { outcomeMessage } from './render/outcome.ts';
import { slackErrorOf } from './web.ts';

/** Slack accepts posts to a response_url for 30 minutes; a minute less leaves room for the post itself. */
const responseUrlValidMs = 29 * 60 * 1000;

/**
 * The outcome of a close another instance acknowledged: on the command's response_url while Slack
 * still accepts it (as if that instance had answered, replacing its message), else a DM (chat.postMessage
 * to the user).
 */
export function createQueuedReply(
  web: WebClient,
  o: { fetch: typeof fetch; log: Log; supportContact?: string; now?: () => number },
) {
  const now = o.now ?? Date.now;
  return async (entry: QueuedClose, outcome: Outcome): Promise<void> => {
    const { incidentNumber, slackUserId } = entry.request;
    // The reference the card or command would have shown (`internal`), so a DM says as much as they would.
    const msg = outcomeMessage(outcome, { incidentNumber, supportContact: o.supportContact, requestId: entry.id });
    const log = o.log.child({ requestId: entry.id, incident: incidentNumber, slackUser: slackUserId });
    if (entry.responseUrl && now() - entry.createdAt < responseUrlValidMs) {
      try {
        const res = await o.fetch(entry.responseUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          // In place of "Closing…" (or an earlier answer): told twice after a crash, the analyst still sees one.
          body: JSON.stringify({ ...msg, replace_original: true }),
        });
        if (res.ok) return;
        log.warn({ status: res.status }, 'response_url refused the outcome; sending a DM instead');
      } catch (e) {
        log.warn({ err: String(e) }, 'response_url failed; sending a DM instead');
      }
    }
    try {
      await web.chat.postMessage({ channel: slackUserId, ...msg } as never);
    } catch (e) {
      log.error({ slackError: slackErrorOf(e) }, 'outcome of a taken-over close not delivered to the analyst');
    }
  };
}
