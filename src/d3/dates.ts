import { parseOffset, type ZoneCandidate, zoneCandidates } from './zones.ts';

/**
 * When D3 says something happened, as the span of instants its text allows: `[earliest, latest)` in
 * epoch ms. The span covers the text's precision ("17:07" is any time in that minute) and every
 * reading of its zone (an ambiguous abbreviation, or no zone at all).
 */
export interface D3Instant {
  earliest: number;
  latest: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
// Offsets in use run from UTC−12 to UTC+14, so a wall-clock time without a zone names an instant
// somewhere from 14 hours before to 12 hours after the same digits read as UTC.
const ANY_ZONE_BEFORE = 14 * 60 * MINUTE;
const ANY_ZONE_AFTER = 12 * 60 * MINUTE;

const MONTHS = 'january february march april may june july august september october november december'.split(' ');

interface Fields {
  y: number;
  mo: number;
  d: number;
  hh?: number;
  mi?: number;
  ss?: number;
  ampm?: string;
  zone: string;
}

const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
const TIME = String.raw`(?:[T\s]+(?:at\s+)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp][Mm](?![A-Za-z]))?)?`;

// The forms D3's samples use: "2022-01-24 16:57:32", ISO 8601, "6/17/2021 1:30:35 PM" and
// "01/27/2021 06:08 AM PST" (month first, as D3's US samples: 27 cannot be a month), "May 26, 2020
// 17:07 China Standard Time"; and "26 May 2020 17:07". Anything else is not read at all.
const FORMS: Array<[RegExp, (m: RegExpExecArray) => Fields | undefined]> = [
  [
    new RegExp(String.raw`^(\d{4})-(\d{1,2})-(\d{1,2})${TIME}\s*(.*)$`),
    (m) => ({ y: +m[1]!, mo: +m[2]!, d: +m[3]!, ...time(m, 4), zone: m[8] ?? '' }),
  ],
  [
    new RegExp(String.raw`^(\d{1,2})/(\d{1,2})/(\d{4})${TIME}\s*(.*)$`),
    (m) => ({ y: +m[3]!, mo: +m[1]!, d: +m[2]!, ...time(m, 4), zone: m[8] ?? '' }),
  ],
  [
    new RegExp(String.raw`^(?:[A-Za-z]+,\s*)?([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4}),?${TIME}\s*(.*)$`),
    (m) => month(m[1]!, { y: +m[3]!, d: +m[2]!, ...time(m, 4), zone: m[8] ?? '' }),
  ],
  [
    new RegExp(String.raw`^(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4}),?${TIME}\s*(.*)$`),
    (m) => month(m[2]!, { y: +m[3]!, d: +m[1]!, ...time(m, 4), zone: m[8] ?? '' }),
  ],
];

function time(m: RegExpExecArray, at: number) {
  return { hh: num(m[at]), mi: num(m[at + 1]), ss: num(m[at + 2]), ampm: m[at + 3]?.toLowerCase() };
}

/** "May", "Sep", "Sept", "September" (English, as D3 writes them). */
function month(name: string, rest: Omit<Fields, 'mo'>): Fields | undefined {
  const n = name.toLowerCase();
  const i = MONTHS.findIndex((full) => full === n || full.slice(0, 3) === n || (n === 'sept' && full === 'september'));
  return i >= 0 ? { ...rest, mo: i + 1 } : undefined;
}

/** Local wall-clock fields as if they were UTC, plus how long the text's precision spans. */
function localOf(f: Fields): { local: number; span: number } | undefined {
  let hh = f.hh ?? 0;
  if (f.ampm) {
    if (hh < 1 || hh > 12) return undefined;
    hh = (hh % 12) + (f.ampm === 'pm' ? 12 : 0);
  }
  if (f.mo < 1 || f.mo > 12 || f.d < 1 || hh > 23 || (f.mi ?? 0) > 59 || (f.ss ?? 0) > 59) return undefined;
  const local = Date.UTC(f.y, f.mo - 1, f.d, hh, f.mi ?? 0, f.ss ?? 0);
  if (new Date(local).getUTCDate() !== f.d) return undefined;
  const span = f.hh === undefined ? DAY : f.ss === undefined ? MINUTE : 1000;
  return { local, span };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC that `zone` is at `instant`. */
export function zoneOffset(zone: string, instant: number): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(instant).map((x) => [x.type, Number(x.value)]));
  const asUtc = Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  return Math.round((asUtc - (instant - (instant % 1000))) / MINUTE);
}

/** The instants a local wall-clock time names in an IANA zone: two in a DST overlap, both guesses in a gap. */
function instantsIn(zone: string, local: number): number[] {
  const offsets = new Set([local - DAY, local, local + DAY].map((t) => zoneOffset(zone, t)));
  const guesses = [...offsets].map((o) => local - o * MINUTE);
  const exact = guesses.filter((t) => zoneOffset(zone, t) * MINUTE === local - t);
  return exact.length > 0 ? exact : guesses;
}

function instants(candidate: ZoneCandidate, local: number): number[] {
  return typeof candidate === 'number' ? [local - candidate * MINUTE] : instantsIn(candidate, local);
}

/**
 * Reads a date as D3 writes it. A date without a zone is read in `defaultZone` (D3_TIMEZONE: an IANA
 * name or ±hh:mm) when given, else in every zone there is. Undefined when the text is not a date this
 * parser knows, or names a zone it does not know: such a date proves nothing.
 */
export function parseD3Date(text: string, defaultZone?: string): D3Instant | undefined {
  const t = text.trim().replace(/\s+/g, ' ');
  for (const [re, read] of FORMS) {
    const m = re.exec(t);
    const fields = m && read(m);
    if (!fields) continue;
    const at = localOf(fields);
    if (!at) return undefined;
    const zone = fields.zone.replace(/^\(|\)$/g, '').trim();
    let readings: number[];
    if (zone === '' && defaultZone === undefined) {
      readings = [at.local - ANY_ZONE_BEFORE, at.local + ANY_ZONE_AFTER];
    } else {
      const candidates = zone === '' ? defaultCandidates(defaultZone!) : zoneCandidates(zone);
      if (!candidates) return undefined;
      readings = candidates.flatMap((c) => instants(c, at.local));
    }
    return { earliest: Math.min(...readings), latest: Math.max(...readings) + at.span };
  }
  return undefined;
}

function defaultCandidates(zone: string): ZoneCandidate[] | undefined {
  const offset = parseOffset(zone);
  return offset !== undefined ? [offset] : zoneCandidates(zone);
}

/** For config validation: D3_TIMEZONE must be an IANA zone name or a ±hh:mm offset. */
export function isZoneSetting(zone: string): boolean {
  return parseOffset(zone) !== undefined || (zoneCandidates(zone)?.length ?? 0) === 1;
}
