import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BulkItemFault, bulkNumbers, bulkReply } from './fake-d3-bulk.ts';
import { type FakeJwtOptions, jwtRefusal } from './fake-d3-jwt.ts';

/** One scripted reply. Without status/body/fixture it is the default reply (delayed or cut as asked). */
export interface Step {
  status?: number;
  body?: string | object;
  /** File under test/fixtures/d3; its incident number 20200526-23 becomes the requested one. */
  fixture?: string;
  delayMs?: number;
  headers?: Record<string, string>;
  /** Drop the connection after reading the request, or after sending headers and half the body. */
  destroy?: 'before-reply' | 'mid-reply';
  /**
   * Whether D3 closes the incident on this call. Default: when the reply proves it (empty error and a
   * success word) and the incident is not closed already; set it for a D3 that acts yet answers oddly.
   */
  acts?: boolean;
}

export interface FakeD3Request {
  command: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: unknown;
  /** Date.now() when the request body had arrived. */
  at: number;
  /** Why the fake refused the credentials (401): `key`, or with `jwt` set `no-token`, `signature`, `expired`, `invalid`, `body-mismatch`. */
  refused?: string;
}

export interface FakeIncident {
  status: 'Open' | 'Closed';
  closedBy?: string;
  dateClosed?: string;
  /** What getIncidentStaticField shows; Site defaults to the site the request names. */
  site?: string;
  title?: string;
  severity?: string;
  /** Set by SetIncidentFieldsInBulk. */
  disposition?: string;
  /** D3 has no such incident: getIncidentStaticField answers with an error. */
  missing?: boolean;
}

type Kind = 'close' | 'state' | 'fields';

export interface FakeD3 {
  /** Base URL including an instance path, e.g. http://127.0.0.1:PORT/d3 (namespace goes after it). */
  url: string;
  requests(): FakeD3Request[];
  closeCalls(): FakeD3Request[];
  script(cmd: Kind, ...steps: Step[]): void;
  /** Requests of one command kind, oldest first. */
  callsOf(cmd: Kind): FakeD3Request[];
  /** What the fake D3 believes; a close it acted on marks the incident Closed. */
  incidents: Map<string, FakeIncident>;
  /** Per-incident failures in CloseIncidentInBulk calls of several numbers (fake-d3-bulk.ts). */
  bulkFaults: Map<string, BulkItemFault>;
  stop(): Promise<void>;
}

const FIXTURES = new URL('../fixtures/d3/', import.meta.url);
const SAMPLE_NUMBER = /20200526-23/g;
const CLOSE_COMMANDS = new Set(['closeincident', 'closeincidentinbulk']);
const STATE_COMMAND = 'getincidentstaticfield';
const FIELDS_COMMAND = 'setincidentfieldsinbulk';

export const fixture = (name: string, incidentNumber?: string): string => {
  const text = readFileSync(new URL(name, FIXTURES), 'utf8');
  return incidentNumber ? text.replace(SAMPLE_NUMBER, incidentNumber) : text;
};

function incidentOf(body: unknown): string {
  const p = (body as { CommandParams?: Record<string, unknown> } | null)?.CommandParams ?? {};
  const many = p['Incident Numbers'];
  const items = p.Input;
  const item = Array.isArray(items)
    ? (items[0] as { IncidentNumber?: unknown } | undefined)?.IncidentNumber
    : undefined;
  return String(p['Incident Number'] ?? (Array.isArray(many) ? many[0] : '') ?? item ?? '');
}

// A reply D3 would only send after acting on the close (200, empty error, no failure word).
const acted = (status: number, text: string) =>
  status === 200 &&
  !/"error"\s*:\s*"\s*[^"\s]/i.test(text) &&
  /"returnData"\s*:\s*"\s*(succeed|succeeded|success|successful)\s*"/i.test(text) &&
  !/"(returnData|result)"\s*:\s*"(failed|failure|error|unsuccessful)"/i.test(text);

const pad = (n: number) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Dates as D3 writes them, for the instant given. */
export const d3Date = {
  /** D3's CloseIncident sample form: "May 26, 2020 17:07 China Standard Time" (UTC+8, no DST). */
  chinaStandardTime(at: Date): string {
    const l = new Date(at.getTime() + 8 * 3_600_000);
    const hm = `${pad(l.getUTCHours())}:${pad(l.getUTCMinutes())}`;
    return `${MONTHS[l.getUTCMonth()]} ${l.getUTCDate()}, ${l.getUTCFullYear()} ${hm} China Standard Time`;
  },
  /** getIncidentStaticField's form without a zone: "2022-01-24 16:57:32", in the server's offset. */
  zoneless(at: Date, offsetMinutes = 0): string {
    const l = new Date(at.getTime() + offsetMinutes * 60_000);
    const date = `${l.getUTCFullYear()}-${pad(l.getUTCMonth() + 1)}-${pad(l.getUTCDate())}`;
    return `${date} ${pad(l.getUTCHours())}:${pad(l.getUTCMinutes())}:${pad(l.getUTCSeconds())}`;
  },
};

export interface FakeD3Options {
  apiKey?: string;
  keyHeader?: string;
  stateApiKey?: string;
  /** Delay for every reply whose step does not set its own `delayMs` (default 0: answer at once). */
  delayMs?: number;
  /** How this D3 writes DateClosed when it closes an incident (default d3Date.chinaStandardTime). */
  dateFormat?: (at: Date) => string;
  /** Act as a D3 that requires JWT instead of a key (fake-d3-jwt.ts). */
  jwt?: FakeJwtOptions;
}

/** D3's documented 401 answer; what it says for a refused token is not documented, so the same. */
const UNAUTHORIZED: Step = { status: 401, body: { Error: 'Invalid authentication key.' } };

export async function startFakeD3(opts: FakeD3Options = {}) {
  const apiKey = opts.apiKey ?? 'test-d3-key';
  const stateApiKey = opts.stateApiKey ?? apiKey;
  const keyHeader = (opts.keyHeader ?? 'd3key').toLowerCase();
  const log: FakeD3Request[] = [];
  const scripts: Record<Kind, Step[]> = { close: [], state: [], fields: [] };
  const incidents = new Map<string, FakeIncident>();
  const bulkFaults = new Map<string, BulkItemFault>();
  const timers = new Set<NodeJS.Timeout>();
  const dateFormat = opts.dateFormat ?? d3Date.chinaStandardTime;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  function defaultReply(kind: Kind, command: string, number: string, req: FakeD3Request): Step {
    const known = incidents.get(number);
    const asked = req.body as { Site?: string; Username?: string; CommandParams?: { Input?: unknown } };
    if (kind === 'fields') {
      const input = (asked.CommandParams?.Input as Array<{ Input?: { Disposition?: string } }> | undefined)?.[0];
      const disposition = input?.Input?.Disposition;
      incidents.set(number, { status: 'Open', ...known, ...(disposition && { disposition }) });
      // GUESS about D3 (its page shows no reply): SetIncidentFields' sample, with a per-item Result.
      return {
        body: { error: '', returnData: 'Successful', contextData: [{ IncidentNumber: number, Result: 'Successful' }] },
      };
    }
    if (kind === 'state' && known?.missing)
      return { body: { error: `Incident ${number} does not exist.`, returnData: '', contextData: null } };
    if (kind === 'state' && (known?.site || known?.title || known?.severity)) {
      const body = JSON.parse(fixture(known?.status === 'Closed' ? 'state-closed.json' : 'state-open.json', number));
      Object.assign(body.returnData.Data, {
        Site: known?.site ?? asked.Site,
        ...(known?.title && { Title: known.title }),
        ...(known?.severity && { Severity: known.severity }),
        ...(known?.status === 'Closed' && {
          ClosedBy: known.closedBy ?? String(asked.Username ?? ''),
          DateClosed: known.dateClosed ?? '',
        }),
      });
      return { body };
    }
    if (kind === 'close' && known?.status === 'Closed') return { fixture: 'close-already-closed.json' };
    if (kind === 'close')
      return { fixture: command === 'closeincidentinbulk' ? 'close-bulk-ok.json' : 'close-ok.json' };
    if (!known || known.status === 'Open') return { fixture: 'state-open.json' };
    const closedBy = known.closedBy ?? String((req.body as { Username?: string }).Username ?? '');
    const body = JSON.parse(fixture('state-closed.json', number));
    Object.assign(body.returnData.Data, { ClosedBy: closedBy, DateClosed: known.dateClosed ?? '' });
    return { body };
  }

  const textOf = (step: Step, number: string) => {
    const raw = step.fixture ? fixture(step.fixture, number) : (step.body ?? '');
    return typeof raw === 'string' ? raw : JSON.stringify(raw);
  };

  function reply(res: ServerResponse, step: Step, number: string) {
    const status = step.status ?? 200;
    const text = textOf(step, number);
    if (step.destroy === 'before-reply') return res.socket?.destroy();
    res.writeHead(status, { 'content-type': 'application/json', ...step.headers });
    if (step.destroy === 'mid-reply') {
      res.write(text.slice(0, Math.ceil(text.length / 2)));
      return later(10, () => res.socket?.destroy());
    }
    res.end(text);
  }

  function handle(req: IncomingMessage, rawBody: string, res: ServerResponse) {
    const path = req.url ?? '';
    const command = /\/api\/command\/([^/?]+)/i.exec(path)?.[1] ?? '';
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const entry: FakeD3Request = { command, path, headers: req.headers, rawBody, body, at: Date.now() };
    log.push(entry);
    const lower = command.toLowerCase();
    const kind: Kind | undefined = CLOSE_COMMANDS.has(lower)
      ? 'close'
      : lower === STATE_COMMAND
        ? 'state'
        : lower === FIELDS_COMMAND
          ? 'fields'
          : undefined;
    if (!kind) return reply(res, { status: 404, body: { Error: `Unknown command ${command}.` } }, '');
    const refuse = (why: string) => {
      entry.refused = why;
      reply(res, UNAUTHORIZED, '');
    };
    if (opts.jwt) {
      void jwtRefusal(opts.jwt, kind, req.headers, body).then((why) =>
        why ? refuse(why) : answer(kind, lower, body, entry, res),
      );
      return;
    }
    if (req.headers[keyHeader] !== (kind === 'state' ? stateApiKey : apiKey)) return refuse('key');
    answer(kind, lower, body, entry, res);
  }

  function answer(kind: Kind, lower: string, body: unknown, entry: FakeD3Request, res: ServerResponse) {
    const number = incidentOf(body);
    const scripted = scripts[kind].shift() ?? {};
    const numbers = lower === 'closeincidentinbulk' ? bulkNumbers(body) : [];
    if (numbers.length > 1 && scripted.status === undefined && scripted.body === undefined && !scripted.fixture) {
      const username = String((body as { Username?: string }).Username ?? '');
      const date = () => dateFormat(new Date());
      const step = {
        ...scripted,
        body: bulkReply(numbers, { incidents, faults: bulkFaults, username, closedByName: 'Jordan Vale', date }),
      };
      const delayMs = step.delayMs ?? opts.delayMs;
      return delayMs ? later(delayMs, () => reply(res, step, number)) : reply(res, step, number);
    }
    const bare = scripted.status === undefined && scripted.body === undefined && scripted.fixture === undefined;
    const step = bare ? { ...defaultReply(kind, lower, number, entry), ...scripted } : scripted;
    // D3 acts before it answers: a reply lost to a delay or cut mid-way still closed the incident, and
    // D3 records the moment it acted.
    const open = incidents.get(number)?.status !== 'Closed';
    const acts =
      step.acts ?? (open && acted(step.status ?? 200, textOf(step, number)) && step.destroy !== 'before-reply');
    if (kind === 'close' && acts) {
      const username = String((body as { Username?: string }).Username ?? '');
      incidents.set(number, { status: 'Closed', closedBy: username, dateClosed: dateFormat(new Date()) });
    }
    const delayMs = step.delayMs ?? opts.delayMs;
    if (delayMs) later(delayMs, () => reply(res, step, number));
    else reply(res, step, number);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeD3 = {
    url: `http://127.0.0.1:${port}/d3`,
    requests: () => [...log],
    closeCalls: () => log.filter((r) => CLOSE_COMMANDS.has(r.command.toLowerCase())),
    script: (cmd, ...steps) => {
      scripts[cmd].push(...steps);
    },
    callsOf: (cmd) =>
      log.filter((r) => {
        const l = r.command.toLowerCase();
        return cmd === 'close' ? CLOSE_COMMANDS.has(l) : l === (cmd === 'state' ? STATE_COMMAND : FIELDS_COMMAND);
      }),
    incidents,
    bulkFaults,
    async stop() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
