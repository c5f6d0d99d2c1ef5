/**
 * Zone names D3 writes after a date, and what they may mean. D3 runs on Windows/.NET: its CloseIncident
 * sample prints the Windows zone name ("May 26, 2020 17:07 China Standard Time"), another sample an
 * abbreviation ("01/27/2021 06:08 AM PST"). A Windows name maps to the IANA zone Windows itself maps
 * it to (CLDR windowsZones), read with daylight saving time. An abbreviation maps to every reading it
 * may have: the zone's local time and the literal offsets (systems print "PST" all year), and for the
 * ambiguous ones (CST, IST, BST, AST) every zone they name. A reading is evidence only where all of a
 * name's readings agree, so an ambiguous name can still prove "days ago" but never "just now".
 *
 * A candidate is a fixed offset in minutes east of UTC, or an IANA zone name.
 */
export type ZoneCandidate = number | string;

const WINDOWS: Record<string, string> = {
  'coordinated universal time': 'UTC',
  'china standard time': 'Asia/Shanghai',
  'pacific standard time': 'America/Los_Angeles',
  'mountain standard time': 'America/Denver',
  'us mountain standard time': 'America/Phoenix',
  'central standard time': 'America/Chicago',
  'central standard time (mexico)': 'America/Mexico_City',
  'eastern standard time': 'America/New_York',
  'atlantic standard time': 'America/Halifax',
  'alaskan standard time': 'America/Anchorage',
  'hawaiian standard time': 'Pacific/Honolulu',
  'sa pacific standard time': 'America/Bogota',
  'e. south america standard time': 'America/Sao_Paulo',
  'gmt standard time': 'Europe/London',
  'greenwich standard time': 'Atlantic/Reykjavik',
  'w. europe standard time': 'Europe/Berlin',
  'romance standard time': 'Europe/Paris',
  'central europe standard time': 'Europe/Budapest',
  'central european standard time': 'Europe/Warsaw',
  'gtb standard time': 'Europe/Bucharest',
  'fle standard time': 'Europe/Helsinki',
  'russian standard time': 'Europe/Moscow',
  'south africa standard time': 'Africa/Johannesburg',
  'egypt standard time': 'Africa/Cairo',
  'israel standard time': 'Asia/Jerusalem',
  'arab standard time': 'Asia/Riyadh',
  'arabian standard time': 'Asia/Dubai',
  'india standard time': 'Asia/Kolkata',
  'se asia standard time': 'Asia/Bangkok',
  'singapore standard time': 'Asia/Singapore',
  'taipei standard time': 'Asia/Taipei',
  'tokyo standard time': 'Asia/Tokyo',
  'korea standard time': 'Asia/Seoul',
  'w. australia standard time': 'Australia/Perth',
  'cen. australia standard time': 'Australia/Adelaide',
  'e. australia standard time': 'Australia/Brisbane',
  'aus eastern standard time': 'Australia/Sydney',
  'new zealand standard time': 'Pacific/Auckland',
};

const h = (hours: number) => hours * 60;

const ABBREVIATIONS: Record<string, ZoneCandidate[]> = {
  z: [0],
  ut: [0],
  utc: [0],
  gmt: [0],
  est: ['America/New_York', h(-5), h(-4)],
  cst: ['America/Chicago', h(-6), h(-5), 'Asia/Shanghai'],
  mst: ['America/Denver', 'America/Phoenix', h(-7), h(-6)],
  pst: ['America/Los_Angeles', h(-8), h(-7)],
  akst: ['America/Anchorage', h(-9), h(-8)],
  hst: [h(-10)],
  ast: ['America/Halifax', h(-4), h(-3), h(3)],
  wet: ['Europe/Lisbon', 0, h(1)],
  cet: ['Europe/Paris', h(1), h(2)],
  eet: ['Europe/Athens', h(2), h(3)],
  bst: ['Europe/London', h(1), h(6)],
  msk: [h(3)],
  ist: ['Asia/Kolkata', 'Europe/Dublin', 'Asia/Jerusalem'],
  hkt: [h(8)],
  sgt: [h(8)],
  awst: [h(8)],
  jst: [h(9)],
  kst: [h(9)],
  acst: ['Australia/Adelaide', 570, 630],
  aest: ['Australia/Sydney', h(10), h(11)],
  nzst: ['Pacific/Auckland', h(12), h(13)],
};

// The daylight spelling of an abbreviation reads like its standard one (PDT ≈ PST: same zone, both offsets).
const DAYLIGHT: Record<string, string> = {
  edt: 'est',
  cdt: 'cst',
  mdt: 'mst',
  pdt: 'pst',
  akdt: 'akst',
  adt: 'ast',
  west: 'wet',
  cest: 'cet',
  eest: 'eet',
  acdt: 'acst',
  aedt: 'aest',
  nzdt: 'nzst',
};

/** Whether Intl knows an IANA zone name (e.g. "Asia/Shanghai"). */
export function isIanaZone(name: string): boolean {
  if (!/^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)+$|^UTC$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** `+08:00`, `-0500`, `UTC+8`, `GMT-03:30` → minutes east of UTC. */
export function parseOffset(text: string): number | undefined {
  const m = /^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(text.trim());
  if (!m) return undefined;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? 0);
  if (hours > 14 || minutes > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** The readings of a zone name as D3 may write it; undefined when the name is not known. */
export function zoneCandidates(name: string): ZoneCandidate[] | undefined {
  const t = name.trim().replace(/\s+/g, ' ');
  const offset = parseOffset(t);
  if (offset !== undefined) return [offset];
  const lower = t.toLowerCase();
  const abbreviation = ABBREVIATIONS[DAYLIGHT[lower] ?? lower];
  if (abbreviation) return abbreviation;
  const windows = WINDOWS[lower.replace(' daylight time', ' standard time')];
  if (windows) return [windows];
  return isIanaZone(t) ? [t] : undefined;
}
