import type { WebClient } from '@slack/web-api';
import type { HomeData } from '../domain/home.ts';
import type { Log } from '../log.ts';
import { homeView } from './render/home.ts';
import { slackErrorOf } from './web.ts';

/** Slack calls of the shortcut and App Home surfaces: a message's link, publishing the Home tab. */
export function createSurfaceCalls(
  client: WebClient,
  log: Log,
  o: { homeData(slackUserId: string): Promise<HomeData>; supportContact?: string; permalinkWaitMs?: number },
) {
  const waitMs = o.permalinkWaitMs ?? 1_000;
  return {
    /**
     * The message's link, or undefined after `waitMs`: the modal must open within the trigger's 3 s,
     * so a slow chat.getPermalink leaves the note without the link rather than losing the form.
     */
    async permalink(channelId: string, ts: string): Promise<string | undefined> {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), waitMs);
      });
      const asked = client.chat
        .getPermalink({ channel: channelId, message_ts: ts })
        .then((r) => (typeof r.permalink === 'string' && r.permalink.startsWith('https://') ? r.permalink : undefined))
        .catch((e: unknown) => {
          log.warn(
            { slackError: slackErrorOf(e), channel: channelId },
            'chat.getPermalink failed; the note has no link',
          );
          return undefined;
        });
      try {
        return await Promise.race([asked, late]);
      } finally {
        clearTimeout(timer);
      }
    },

    async publishHome(slackUserId: string): Promise<void> {
      const data = await o.homeData(slackUserId);
      await client.views.publish({
        user_id: slackUserId,
        view: homeView({ ...data, supportContact: o.supportContact }),
      });
    },
  };
}
