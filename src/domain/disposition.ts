/**
 * Close reasons (D3's `Disposition`): the operator's list of allowed values and their short forms,
 * and how a command's note names one (`fp: benign scanner`). Pure; config-dispositions.ts loads it.
 */
import { CloseError } from './errors.ts';

export interface Disposition {
  /** What the analyst types before a colon, e.g. `fp`; compared case-insensitively. */
  short: string;
  /** D3's value, exactly as the tenant's list spells it, e.g. `False Positive`. */
  name: string;
}

export interface DispositionRules {
  list: Disposition[];
  /** DISPOSITION_REQUIRED: a close without one is refused before anything reaches D3. */
  required: boolean;
}

export const SHORT_FORM = /^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$/;
export const DISPOSITION_NAME_MAX = 100;

/** `fp=False Positive,tp=True Positive`: problems as text, for the config error. */
export function parseDispositionList(text: string): { list: Disposition[] } | { problem: string } {
  const entries = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq === -1
        ? { short: pair, name: '' }
        : { short: pair.slice(0, eq).trim(), name: pair.slice(eq + 1).trim() };
    });
  return checkDispositions(entries);
}

/** The shared rules: short forms are words, unique; names are non-empty, unique, short enough for D3. */
export function checkDispositions(entries: Disposition[]): { list: Disposition[] } | { problem: string } {
  if (entries.length === 0) return { problem: 'must list at least one short=Name pair' };
  if (entries.length > 100) return { problem: 'must list at most 100 dispositions (a Slack select shows 100)' };
  const shorts = new Set<string>();
  const names = new Set<string>();
  for (const e of entries) {
    if (!SHORT_FORM.test(e.short))
      return { problem: `short form "${e.short}" must be 1-20 letters, digits, - or _ (e.g. fp=False Positive)` };
    if (e.name === '') return { problem: `"${e.short}" has no name (write ${e.short}=Name as D3 shows it)` };
    if (e.name.length > DISPOSITION_NAME_MAX)
      return { problem: `the name for "${e.short}" is longer than ${DISPOSITION_NAME_MAX} characters` };
    const s = e.short.toLowerCase();
    if (shorts.has(s)) return { problem: `short form "${e.short}" is listed twice` };
    if (names.has(e.name.toLowerCase())) return { problem: `"${e.name}" is listed twice` };
    shorts.add(s);
    names.add(e.name.toLowerCase());
  }
  return { list: entries };
}

/** A short form or a full name, as a form or a command gives it; undefined when the list has neither. */
export function findDisposition(list: Disposition[], given: string): Disposition | undefined {
  const g = given.trim().toLowerCase();
  return list.find((d) => d.short.toLowerCase() === g || d.name.toLowerCase() === g);
}

// `fp: benign scanner` → short `fp`, note `benign scanner`. Only a first word that ends in a colon.
const LEADING = /^([A-Za-z0-9][A-Za-z0-9_-]{0,19}):(?:\s+|$)/;

/**
 * The disposition a close asks for, and the note without its short form. A command's note may begin
 * with `short:` (only when the operator configured dispositions); a form names one directly.
 * Refuses an unknown short form (listing the allowed ones) and a missing one when it is required.
 */
export function chooseDisposition(
  rules: DispositionRules | undefined,
  req: { note: string; disposition?: string; noteMayName?: boolean },
): { disposition?: Disposition; note: string } | { error: CloseError } {
  if (!rules || rules.list.length === 0) return { note: req.note };
  const allowed = rules.list.map((d) => d.short).join(', ');
  if (req.disposition?.trim()) {
    const found = findDisposition(rules.list, req.disposition);
    return found ? { disposition: found, note: req.note } : { error: unknown(req.disposition, allowed) };
  }
  const m = req.noteMayName ? LEADING.exec(req.note) : null;
  if (m?.[1]) {
    const found = findDisposition(rules.list, m[1]);
    if (!found) return { error: unknown(m[1], allowed) };
    return { disposition: found, note: req.note.slice(m[0].length).trim() };
  }
  if (rules.required) return { error: new CloseError('disposition_missing', { allowed }) };
  return { note: req.note };
}

const unknown = (given: string, allowed: string) =>
  new CloseError('disposition_unknown', { reason: given.trim().slice(0, 40), allowed });
