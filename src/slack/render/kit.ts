/**
 * Block Kit primitives and Slack's size limits (header 150, field 2000, text object 3000, modal
 * title 24), and the one reply type every renderer returns. Every string that came from a user, D3
 * or config goes through safeUserText; the only markup in our output is mentions built from
 * validated ids (escape.ts).
 */
import type { types as slack } from '@slack/bolt';
import { safeUserTextWithin } from './escape.ts';

/** A message for ack()/respond()/chat.postEphemeral/chat.postMessage: the text fallback and any blocks. */
export interface Reply {
  text: string;
  blocks?: slack.KnownBlock[];
}

export const HEADER_MAX = 150;
export const FIELD_MAX = 2000;
export const TEXT_MAX = 3000;
export const MORE_IN_D3 = '… (full note in D3)';
const NOT_GIVEN = '—';

export const plain = (text: string): slack.PlainTextElement => ({ type: 'plain_text', text, emoji: true });
// verbatim: Slack must not auto-link @here, #channel or bare URLs in what we echo.
export const mrkdwn = (text: string): slack.MrkdwnElement => ({ type: 'mrkdwn', text, verbatim: true });
export const orDash = (s: string | undefined): string => (s?.trim() ? s : NOT_GIVEN);

/** A `*label*` over its value, the value escaped and cut to fit the field. */
export function field(label: string, value: string): slack.MrkdwnElement {
  return mrkdwn(`*${label}*\n${safeUserTextWithin(orDash(value), FIELD_MAX - label.length - 3)}`);
}
