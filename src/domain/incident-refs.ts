/**
 * Incident numbers in a Slack message (a D3 notification, another bot's alert, a person's note), for the
 * "Close incident" message shortcut. Pure: the message arrives as Slack sent it, untyped.
 */
import { INCIDENT_NUMBER_MAX, NOT_INCIDENT_NUMBER_CHAR } from './limits.ts';

/**
 * D3's formats (d3-command-api.md §6): `20200526-23` (date and sequence), `080924-1609` (six-digit
 * date) and `TEST-INCIDENT-73`. D3 has no single format, so INCIDENT_NUMBER_PATTERN replaces this one.
 */
export const DEFAULT_INCIDENT_NUMBER_PATTERN = String.raw`\b(?:\d{8}-\d{1,7}|\d{6}-\d{1,7}|[A-Z][A-Z0-9]*-INCIDENT-\d+)\b`;

/** The most numbers one shortcut pre-fills (the bulk close's default BULK_MAX). */
export const REFS_MAX = 100;

/** Keys whose string values are message text in Slack's blocks and attachments; `url` and ids are not. */
const TEXT_KEYS = new Set(['text', 'fallback', 'pretext', 'title', 'value']);
/** Containers worth walking into; anything else (images, accessories' urls, metadata) is skipped. */
const WALK_KEYS = new Set(['blocks', 'attachments', 'elements', 'fields', 'text']);
const MAX_DEPTH = 12;

/** A pattern from configuration, compiled to find every match; undefined when it is not usable. */
export function compileIncidentPattern(source: string): RegExp | undefined {
  try {
    const re = new RegExp(source, 'gu');
    // A pattern that matches the empty string would find "numbers" everywhere.
    return re.test('') ? undefined : re;
  } catch {
    return undefined;
  }
}

/** Every string of message text in `message`, in reading order: text, then blocks, then attachments. */
export function messageTexts(message: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > MAX_DEPTH || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const item of v) walk(item, depth + 1);
      return;
    }
    for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
      if (typeof value === 'string' && TEXT_KEYS.has(key)) out.push(value);
      else if (WALK_KEYS.has(key)) walk(value, depth + 1);
    }
  };
  const m = (message ?? {}) as Record<string, unknown>;
  if (typeof m.text === 'string') out.push(m.text);
  walk(m.blocks, 0);
  walk(m.attachments, 0);
  return out;
}

/**
 * The incident numbers `pattern` finds in the message, first appearance first, each once (compared
 * case-insensitively, as the per-incident lock does), at most REFS_MAX. A match that breaks the
 * number rules (limits.ts) is skipped: the pattern is the operator's, the rules are D3-safe.
 */
export function findIncidentNumbers(message: unknown, pattern: RegExp): string[] {
  const seen = new Set<string>();
  const found: string[] = [];
  const re = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  for (const text of messageTexts(message)) {
    for (const m of text.matchAll(re)) {
      const n = (m[1] ?? m[0]).trim();
      if (!n || n.length > INCIDENT_NUMBER_MAX || NOT_INCIDENT_NUMBER_CHAR.test(n) || !/\d/.test(n)) continue;
      const key = n.toUpperCase();
      if (seen.has(key)) continue;
      seen.add(key);
      found.push(n);
      if (found.length >= REFS_MAX) return found;
    }
  }
  return found;
}
