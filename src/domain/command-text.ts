/**
 * The `/close-incident` grammar: `<number> <note>`, keywords, and decoding of Slack's markup back to
 * what the analyst typed (for D3, which must not receive `<@U123|jane>` or `&amp;`).
 */
import { INCIDENT_NUMBER_MAX, NOT_INCIDENT_NUMBER_CHAR, SLACK_USER_MENTION } from './limits.ts';

export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'whoami' }
  | { kind: 'history'; incidentNumber: string }
  | { kind: 'map'; slackUserId: string; username: string; site?: string }
  | { kind: 'unmap'; slackUserId: string }
  /** Empty text; or a number without a note while notes are required. */
  | { kind: 'modal'; incidentNumber?: string }
  /** `note` is '' only when notes are not required. */
  | { kind: 'close'; incidentNumber: string; note: string }
  /** Several numbers (`23,24,31 note`), duplicates collapsed, each valid; the count limit is the use case's. */
  | { kind: 'bulk'; incidentNumbers: string[]; note: string }
  /** Reply with usage and `reason` (plain text, escape it when rendering); do not open a modal. */
  | { kind: 'invalid'; reason: string };

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>' };

/**
 * Decodes the three entities Slack encodes. One left-to-right pass is the same as decoding `&amp;`
 * last: `&amp;lt;` becomes `&lt;`, never `<`.
 */
export function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt);/g, (whole, name: string) => ENTITIES[name] ?? whole);
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const BROADCASTS = new Set(['here', 'channel', 'everyone']);

function decodeSpecial(name: string, label: string): string | undefined {
  const lower = name.toLowerCase();
  if (BROADCASTS.has(lower)) return `@${lower}`;
  if (lower.startsWith('subteam^')) return label ? `@${label.replace(/^@/, '')}` : `@${name.slice(8)}`;
  if (lower.startsWith('date^')) return label || undefined;
  return label || `@${name}`;
}

function decodeLink(target: string, label: string): string {
  if (/^mailto:/i.test(target)) {
    const address = target.slice(7);
    return !label || label === address ? address : `${label} (${address})`;
  }
  // Slack auto-links a typed `example.com` as `<http://example.com|example.com>`: give back what was typed.
  const bare = target.replace(/^https?:\/\//i, '');
  if (!label || label === target || label === bare || `${label}/` === bare) return label || target;
  return `${label} (${target})`;
}

/** One `<…>` entity (without the brackets) as readable text; undefined leaves it as it was. */
function decodeMarkup(inner: string): string | undefined {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? '' : inner.slice(bar + 1);
  if (target.length < 2) return undefined;
  if (target.startsWith('@')) return `@${label.replace(/^@/, '') || target.slice(1)}`;
  if (target.startsWith('#')) return `#${label.replace(/^#/, '') || target.slice(1)}`;
  if (target.startsWith('!')) return decodeSpecial(target.slice(1), label);
  if (SCHEME.test(target)) return decodeLink(target, label);
  return undefined;
}

/**
 * Slack's text as the analyst typed it: mentions become `@name`, channels `#name`, links
 * `label (url)`, and `&amp; &lt; &gt;` become `& < >`. Markup is resolved before entities, so a
 * typed `&lt;!channel&gt;` stays the literal text `<!channel>` and is never read as markup.
 */
export function decodeSlackText(text: string): string {
  return decodeEntities(text.replace(/<([^<>]*)>/g, (whole, inner: string) => decodeMarkup(inner) ?? whole));
}

function describeChar(c: string): string {
  return /[\p{L}\p{N}\p{P}\p{S}]/u.test(c)
    ? `“${c}”`
    : `U+${c.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why `s` is not an incident number (letters, digits, `-`, `_`; at least one digit; 1–64 chars), or undefined. */
export function incidentNumberProblem(s: string): string | undefined {
  if (s.length === 0) return 'The incident number is missing.';
  const bad = NOT_INCIDENT_NUMBER_CHAR.exec(s);
  if (bad) return `An incident number uses only letters, digits, - and _ (found ${describeChar(bad[0])}).`;
  if (s.length > INCIDENT_NUMBER_MAX) return `An incident number has at most ${INCIDENT_NUMBER_MAX} characters.`;
  if (!/[0-9]/.test(s)) return 'An incident number contains at least one digit.';
  return undefined;
}

/** Splits at the first run of whitespace (spaces, tabs, new lines); the rest is trimmed. */
function splitFirst(s: string): [head: string, rest: string] {
  const t = s.trim();
  const m = /\s/.exec(t);
  return m ? [t.slice(0, m.index), t.slice(m.index).trim()] : [t, ''];
}

const NOT_A_MENTION = 'Mention the Slack user with @ (pick them from the list) so the command carries their ID.';

// A leading mention; its label (a display name) may contain spaces, so it is matched, not split.
function splitMention(rest: string): { slackUserId?: string; after: string } {
  const m = SLACK_USER_MENTION.exec(rest);
  if (!m) return { after: rest };
  const after = rest.slice(m[0].length);
  // `<@U1>jdoe` is not a mention followed by a name; a separator must follow.
  return after === '' || /^\s/.test(after) ? { slackUserId: m[1], after: after.trim() } : { after: rest };
}

function parseHistory(rest: string): ParsedCommand {
  const [token] = splitFirst(rest);
  if (!token) return { kind: 'invalid', reason: 'Say which incident: history <number>.' };
  const incidentNumber = decodeEntities(token);
  const problem = incidentNumberProblem(incidentNumber);
  return problem ? { kind: 'invalid', reason: problem } : { kind: 'history', incidentNumber };
}

function parseMap(rest: string): ParsedCommand {
  if (!rest) return { kind: 'invalid', reason: 'Say whom to map: map @user <d3-username> [site].' };
  const { slackUserId, after } = splitMention(rest);
  if (!slackUserId) return { kind: 'invalid', reason: NOT_A_MENTION };
  const [usernameToken, siteText] = splitFirst(after);
  const username = decodeSlackText(usernameToken);
  if (!username) return { kind: 'invalid', reason: 'Give the D3 username: map @user <d3-username> [site].' };
  const site = decodeSlackText(siteText).trim();
  return site ? { kind: 'map', slackUserId, username, site } : { kind: 'map', slackUserId, username };
}

function parseUnmap(rest: string): ParsedCommand {
  if (!rest) return { kind: 'invalid', reason: 'Say whom to unmap: unmap @user.' };
  const { slackUserId, after } = splitMention(rest);
  if (!slackUserId) return { kind: 'invalid', reason: NOT_A_MENTION };
  if (after) return { kind: 'invalid', reason: 'unmap takes one user at a time: unmap @user.' };
  return { kind: 'unmap', slackUserId };
}

/**
 * Reads the slash command's `text`. The first token is the incident number (checked on the raw
 * token, entities only); the rest, trimmed and decoded, is the note, kept whole. Note length is the
 * policy's concern, not the grammar's.
 */
export function parseCommandText(rawText: string, opts: { noteRequired: boolean }): ParsedCommand {
  const [head, rest] = splitFirst(rawText);
  if (!head) return { kind: 'modal' };
  switch (head.toLowerCase()) {
    case 'help':
      return { kind: 'help' };
    case 'whoami':
      return { kind: 'whoami' };
    case 'history':
      return parseHistory(rest);
    case 'map':
      return parseMap(rest);
    case 'unmap':
      return parseUnmap(rest);
  }
  if (head.includes(',')) return parseBulk(head, rest, opts);
  const incidentNumber = decodeEntities(head);
  const problem = incidentNumberProblem(incidentNumber);
  if (problem) return { kind: 'invalid', reason: problem };
  const note = decodeSlackText(rest).trim();
  if (note === '' && opts.noteRequired) return { kind: 'modal', incidentNumber };
  return { kind: 'close', incidentNumber, note };
}

/**
 * A list of incident numbers (commas or new lines between them), duplicates collapsed (the
 * first spelling kept). Any invalid number refuses the whole list: a typo in a list is as likely to
 * name the wrong incident as a typo in one number, so nothing is closed until the list is right.
 */
export function parseIncidentList(text: string): { numbers: string[]; problems: string[] } {
  const numbers: string[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const token of text
    .split(/[\r\n,]+/)
    .map((t) => t.trim())
    .filter(Boolean)) {
    const n = decodeEntities(token);
    const problem = incidentNumberProblem(n);
    if (problem) problems.push(`${n}: ${problem}`);
    else if (!seen.has(n.toUpperCase())) {
      seen.add(n.toUpperCase());
      numbers.push(n);
    }
  }
  return { numbers, problems };
}

function parseBulk(head: string, rest: string, opts: { noteRequired: boolean }): ParsedCommand {
  const { numbers, problems } = parseIncidentList(head);
  if (problems.length > 0) return { kind: 'invalid', reason: `Not closed, fix the list first. ${problems.join(' ')}` };
  const note = decodeSlackText(rest).trim();
  const [only] = numbers;
  if (only === undefined) return { kind: 'invalid', reason: 'The incident number is missing.' };
  if (note === '' && opts.noteRequired) return { kind: 'modal', incidentNumber: numbers.join('\n') };
  return numbers.length === 1
    ? { kind: 'close', incidentNumber: only, note }
    : { kind: 'bulk', incidentNumbers: numbers, note };
}
