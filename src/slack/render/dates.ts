/**
 * Dates shown in each reader's own time zone: Slack's `<!date^unix^{date_short_pretty} {time}|fallback>`
 * token, with the text D3 (or we) wrote as the fallback for clients that cannot render it.
 */
import { parseD3Date } from '../../d3/dates.ts';
import { safeUserText, safeUserTextWithin } from './escape.ts';

/** No date is this long; longer text from D3 is cut, so one odd field cannot push a block over Slack's limit. */
const DATE_TEXT_MAX = 200;

/** The date token for an instant; the fallback is escaped (it is D3's or our text). */
export function slackDate(unixSeconds: number, fallback: string): string {
  const inert = safeUserText(fallback).replace(/\|/g, '/');
  return `<!date^${Math.floor(unixSeconds)}^{date_short_pretty} {time}|${inert}>`;
}

/** An ISO timestamp of ours (audit records) as a date token; the ISO text as the fallback. */
export function slackDateOfIso(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return safeUserText(iso);
  return slackDate(ms / 1000, `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`);
}

/**
 * D3's date text as a date token when it names one instant to the minute (its zone known, or
 * D3_TIMEZONE set); otherwise D3's text alone, escaped: a token would show a time D3 did not say.
 */
export function slackDateOfD3(text: string, timeZone?: string): string {
  if (text.length > DATE_TEXT_MAX) return safeUserTextWithin(text, DATE_TEXT_MAX);
  const at = parseD3Date(text, timeZone);
  if (!at || at.latest - at.earliest > 60_000) return safeUserText(text);
  return slackDate(at.earliest / 1000, text);
}
