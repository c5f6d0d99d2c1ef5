import type { WebClient } from '@slack/web-api';
import type { Store } from '../domain/ports.ts';
import type { SlackPerson } from '../domain/types.ts';
import type { Log } from '../log.ts';
import { personCache, personOf } from './organisation.ts';

import type { Reply } from './render/kit.ts';

const emailTtlMs = 60 * 60 * 1000;
const groupTtlMs = 5 * 60 * 1000;

/** The Web API calls the bot makes outside Bolt's listener helpers. */
export function createSlackWeb(client: WebClient, store: Store, log: Log) {
  return {
    /** Tells one analyst something in the channel they are in; a DM when the bot cannot post there. */
    async notifyUser(channelId: string, userId: string, msg: Reply): Promise<void> {
      try {
        await client.chat.postEphemeral({ channel: channelId, user: userId, ...msg } as never);
      } catch (e) {
        log.warn({ slackError: slackErrorOf(e), channel: channelId }, 'ephemeral failed; sending a DM instead');
        await client.chat.postMessage({ channel: userId, ...msg } as never);
      }
    },

    /**
     * What users.info says about a user, for matching by email (policy.emailMatchProblem decides).
     * Cached for an hour; a failed or unreadable answer is not cached and matches no one.
     */
    async person(userId: string): Promise<SlackPerson | undefined> {
      const cached = await store.cache.get<SlackPerson>(personCache, userId);
      if (cached) return cached;
      try {
        const res = await client.users.info({ user: userId });
        const person = personOf(res.user);
        if (!person)
          log.warn({ slackUser: userId }, 'users.info answered without a readable user; cannot match by email');
        else await store.cache.set(personCache, userId, person, emailTtlMs);
        return person;
      } catch (e) {
        log.warn({ slackError: slackErrorOf(e) }, 'users.info failed; cannot match the user by email');
        return undefined;
      }
    },

    async isInGroups(userId: string, groupIds: readonly string[]): Promise<boolean> {
      for (const group of groupIds) {
        let members = await store.cache.get<string[]>('usergroup', group);
        if (!members) {
          try {
            members = (await client.usergroups.users.list({ usergroup: group })).users ?? [];
            await store.cache.set('usergroup', group, members, groupTtlMs);
          } catch (e) {
            log.error(
              { slackError: slackErrorOf(e), group },
              'usergroups.users.list failed; check the usergroups:read scope',
            );
            continue;
          }
        }
        if (members.includes(userId)) return true;
      }
      return false;
    },
  };
}

export type SlackWeb = ReturnType<typeof createSlackWeb>;

export function slackErrorOf(e: unknown): string {
  const data = (e as { data?: { error?: unknown } })?.data;
  if (typeof data?.error === 'string') return data.error;
  const code = (e as { code?: unknown })?.code;
  if (code === 'slack_webapi_rate_limited_error') return 'ratelimited';
  if (code === 'slack_webapi_http_error') return 'slack_http_error';
  return 'slack_unreachable';
}
