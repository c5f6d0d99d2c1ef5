/**
 * Making user- and D3-sourced text inert in Slack. Slack decodes exactly `&amp; &lt; &gt;` in text
 * objects and message text, so escaping those three is enough to stop `<!channel>`, `<@U…>` and
 * `<https://evil|ok>` from becoming markup. Plain `@here`-style words are a second door: with
 * `verbatim: false` or in a top-level `text` fallback Slack may auto-parse them, so we break them
 * with a zero-width space.
 */
import { SLACK_CHANNEL_ID, SLACK_USER_ID } from '../../domain/limits.ts';

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Escapes exactly `&`, `<` and `>`; anything else stays as typed (Slack decodes nothing else). */
export function escapeMrkdwn(s: string): string {
  return s.replace(/[&<>]/g, (c) => ENTITY[c] ?? c);
}

const BROADCAST = /@(channel|here|everyone)/gi;

/**
 * Text that cannot ping, mention or link wherever it lands (mrkdwn with `verbatim: true`,
 * plain_text, or the `text` fallback): `&<>` escaped and `@channel`/`@here`/`@everyone` broken by a
 * zero-width space after the `@`.
 */
export function safeUserText(s: string): string {
  return escapeMrkdwn(s).replace(BROADCAST, '@\u200B$1');
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/** Moves a cut index back by one when it would separate a surrogate pair. */
function atCodePoint(s: string, end: number): number {
  return end > 0 && end < s.length && isHighSurrogate(s.charCodeAt(end - 1)) ? end - 1 : end;
}

/** At most `max` UTF-16 units; when cut, ends with `suffix`. Never splits a surrogate pair. */
export function truncate(s: string, max: number, suffix = '…'): string {
  if (s.length <= max) return s;
  if (suffix.length >= max) return suffix.slice(0, Math.max(0, max));
  return s.slice(0, atCodePoint(s, max - suffix.length)) + suffix;
}

/** Longest prefix length of `s` (on a code point boundary) whose safeUserText plus `reserve` fits `max`. */
function fittingPrefix(s: string, max: number, reserve: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (safeUserText(s.slice(0, mid)).length + reserve <= max) lo = mid;
    else hi = mid - 1;
  }
  return atCodePoint(s, lo);
}

/** The longest raw prefix of `s` whose safeUserText, plus `reserve` units of our own, fits in `max`. */
export function prefixWithin(s: string, max: number, reserve = 0): string {
  return s.slice(0, fittingPrefix(s, max, reserve));
}

/**
 * safeUserText(s), cut so the result (with `suffix` when cut) is at most `max` units. The cut is made
 * on the raw text, so an entity such as `&amp;` or a surrogate pair is never split.
 */
export function safeUserTextWithin(s: string, max: number, suffix = '…'): string {
  const whole = safeUserText(s);
  if (whole.length <= max) return whole;
  return safeUserText(prefixWithin(s, max, suffix.length)) + suffix;
}

/** `<@U…>` for a well-formed Slack user id (the only mention we build); anything else as inert text. */
export function userMention(slackUserId: string): string {
  return SLACK_USER_ID.test(slackUserId) ? `<@${slackUserId}>` : safeUserText(slackUserId);
}

/** `<#C…>` for a well-formed channel id; anything else as inert text. */
export function channelMention(channelId: string): string {
  return SLACK_CHANNEL_ID.test(channelId) ? `<#${channelId}>` : safeUserText(channelId);
}

/**
 * safeUserText(s) split into pieces of at most `max` units each (for Block Kit's 3000-char text
 * objects), preferring to break after a line break or space near the end of a piece.
 */
export function chunkSafeUserText(s: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = s;
  while (rest.length > 0) {
    let cut = fittingPrefix(rest, max, 0);
    if (cut >= rest.length) {
      pieces.push(safeUserText(rest));
      break;
    }
    const head = rest.slice(0, cut);
    const breakAt = Math.max(head.lastIndexOf('\n'), head.lastIndexOf(' '));
    if (breakAt >= cut * 0.8) cut = breakAt + 1;
    cut = Math.max(cut, 1 + (isHighSurrogate(rest.charCodeAt(0)) ? 1 : 0));
    pieces.push(safeUserText(rest.slice(0, cut)));
    rest = rest.slice(cut);
  }
  return pieces;
}
