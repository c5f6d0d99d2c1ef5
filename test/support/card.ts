import { blockActionBody } from './block-actions.ts';
import type { FakeSlack } from './fake-slack.ts';
import { slashCommandBody } from './fixtures.ts';
import { type Harness, signingSecret } from './harness.ts';
import { startRedis } from './redis.ts';
import { partitionableRedisProxy } from './redis-proxy.ts';
import { postSigned } from './sign.ts';

type Shown = { blocks: Array<{ elements?: Array<Record<string, string>> }> };

/** Where a card is asked for and clicked: the harness, or a child app with the fakes it talks to. */
export interface CardTarget {
  eventsUrl: string;
  slack: FakeSlack;
}

/**
 * CONFIRM_BEFORE_CLOSE: runs `/close-incident <text>` with its own response_url (`tag`) and returns the
 * sealed values of the card's Close and Cancel buttons.
 */
export async function showCard(t: CardTarget, text: string, tag: string): Promise<{ close: string; cancel: string }> {
  const body = slashCommandBody('close-command.form', {
    text,
    response_url: t.slack.responseUrl(tag),
    trigger_id: `${Date.now()}.4412345678.${tag}`,
  });
  await postSigned(t.eventsUrl, body, { secret: signingSecret });
  await t.slack.waitFor(() => t.slack.responses(tag).length === 1, 10_000);
  const buttons = (t.slack.responses(tag)[0] as Shown).blocks.flatMap((b) => b.elements ?? []);
  const value = (id: string) => buttons.find((b) => b.action_id === id)?.value ?? '';
  return { close: value('confirm_close'), cancel: value('cancel_close') };
}

/** Clicks a card's button (its sealed value), its answers going to response_url `tag`. */
export function clickCard(t: CardTarget, value: string, action: 'confirm_close' | 'cancel_close', tag: string) {
  const body = blockActionBody('block-actions-confirm.json', {
    value,
    actionId: action,
    responseUrl: t.slack.responseUrl(tag),
  });
  return postSigned(t.eventsUrl, body, { secret: signingSecret });
}

/** A real redis-server behind a proxy the test can freeze (a partition), and the harness on it. */
export async function startHarnessBehindProxy(
  start: (storeUrl: string) => Promise<Harness>,
): Promise<{ h: Harness; proxy: Awaited<ReturnType<typeof partitionableRedisProxy>>; stop(): Promise<void> }> {
  const redis = await startRedis();
  if (!redis) throw new Error('redis-server is required here');
  const proxy = await partitionableRedisProxy(new URL(redis.url));
  const h = await start(proxy.url);
  return {
    h,
    proxy,
    async stop() {
      await proxy.stop();
      await h.stop();
      await redis.stop();
    },
  };
}
