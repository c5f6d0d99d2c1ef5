import { Agent, type Dispatcher, request } from 'undici';
import type { Secret } from '../config.ts';
import { CloseError, isCloseError } from '../domain/errors.ts';
import type { CloseCommand, IncidentFieldsCommand, IncidentQuery, IncidentReader } from '../domain/ports.ts';
import { authHeaders, type D3Auth } from './auth.ts';
import { bulkCloseBody, type ItemAnswer, parseBulkCloseReply } from './bulk-reply.ts';
import { fieldsBody } from './fields.ts';
import { parseFieldsReply } from './fields-reply.ts';
import { type CloseCommandName, type D3Closure, parseCloseReply } from './reply.ts';
import { parseStateReply } from './state-reply.ts';
import { statusError } from './status.ts';

export interface D3ClientOptions {
  /** Scheme, host and any instance path, e.g. `https://soar.example/Prod` (a trailing slash is fine). */
  baseUrl: string;
  /** Application namespace, normally `VSOC`. */
  namespace: string;
  /** Webhook key of the close command. */
  apiKey: Secret;
  /** Webhook key of getIncidentStaticField (D3 issues one key per command). */
  stateApiKey: Secret;
  /** Webhook key of SetIncidentFieldsInBulk; defaults to apiKey. */
  fieldsApiKey?: Secret;
  /** Header that carries the key; D3's UI calls it "Request Header Key" (usually `d3key`). */
  keyHeader: string;
  /** Key (default) or a JWT signed over each body (d3/auth.ts). */
  auth?: D3Auth;
  /** Both the wait for response headers and the longest pause while reading the body. */
  timeoutMs: number;
  closeCommand: CloseCommandName;
  /** Injected in tests (MockAgent); when omitted the client owns a keep-alive Agent and destroy() closes it. */
  dispatcher?: Dispatcher;
  /** Replies larger than this are refused as d3_bad_reply. Default 1 MiB. */
  maxBodyBytes?: number;
}

export type StateQuery = IncidentQuery;

/** The raw D3 calls; getState is the domain's IncidentReader port. */
export interface D3Client extends IncidentReader {
  /** One POST of the close command; throws CloseError. Never retries (see gateway.ts). */
  close(cmd: CloseCommand): Promise<D3Closure>;
  /** One POST of SetIncidentFieldsInBulk for one incident; resolves only on D3's yes (fields-reply.ts). */
  setFields(cmd: IncidentFieldsCommand): Promise<void>;
  /** One POST of CloseIncidentInBulk for several incidents, read per incident (bulk-reply.ts); never retries. */
  closeBulk(cmds: CloseCommand[]): Promise<Map<string, ItemAnswer>>;
  destroy(): Promise<void>;
}

export const STATE_COMMAND = 'getIncidentStaticField';
export const FIELDS_COMMAND = 'SetIncidentFieldsInBulk';

/** The one place that knows D3's URL shape: `${base}/${namespace}/api/Command/${name}`. */
export function commandUrl(baseUrl: string, namespace: string, name: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(namespace)}/api/Command/${name}`;
}

/**
 * CloseIncident takes only `Incident Note` in D3's docs (it acts on a playbook's runtime incident), so
 * `Incident Number` is our addition; CloseIncidentInBulk is the documented by-number alternative and
 * appends the note to the Conclusion. Its page types the bypass flag as boolean but its own sample sends
 * "Yes"/"No"; we send the sample's form, "No": required tasks still pending must stop the close.
 */
export function closeBody(command: CloseCommandName, cmd: CloseCommand): object {
  const { username: Username, site: Site, incidentNumber, note } = cmd;
  if (command === 'CloseIncident') {
    return { Username, Site, CommandParams: { 'Incident Number': incidentNumber, 'Incident Note': note } };
  }
  return {
    Username,
    Site,
    CommandParams: {
      'Incident Numbers': [incidentNumber],
      Conclusion: note,
      'Bypass Required Pending Tasks': 'No',
      Username,
    },
  };
}

export function stateBody(q: StateQuery): object {
  return { Username: q.username, Site: q.site, CommandParams: { 'Incident Number': q.incidentNumber } };
}

// Failures that happen before a byte of the request leaves: D3 certainly did not act, so a retry is safe.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
]);

function isNotSent(e: unknown): boolean {
  if (e instanceof AggregateError && e.errors.length > 0) return e.errors.every(isNotSent);
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (NOT_SENT_CODES.has(code) || /^(ERR_TLS_|ERR_SSL_|CERT_)/.test(code))) return true;
  return e instanceof Error && e.cause !== undefined && e.cause !== e && isNotSent(e.cause);
}

/** A plain Error with name, code and message only: undici errors can hold sockets and request options. */
function safeCause(e: unknown, scrub: (s: string) => string): Error {
  const src = e instanceof Error ? e : new Error(String(e));
  const code = (src as { code?: unknown }).code;
  const out = new Error(scrub(`${src.name}${typeof code === 'string' ? ` ${code}` : ''}: ${src.message}`));
  if (typeof code === 'string') Object.assign(out, { code });
  return out;
}

function transportError(e: unknown, scrub: (s: string) => string): CloseError {
  const cause = safeCause(e, scrub);
  const code = (cause as { code?: string }).code;
  if (code === 'UND_ERR_INVALID_ARG') return new CloseError('internal', { reason: cause.message }, { cause });
  if (isNotSent(e)) return new CloseError('d3_unreachable', { notSent: true, reason: code }, { cause });
  // Headers/body timeout, reset or abort after the request was written: D3 may have closed the incident.
  return new CloseError('d3_outcome_unknown', { reason: code ?? cause.message }, { cause });
}

const jwtHint =
  "check D3_JWT_SECRET / D3_JWT_HEADER / D3_JWT_CLAIMS, this host's clock, and that the D3 user is granted the JWT key";

export function createD3Client(o: D3ClientOptions): D3Client {
  const owned = o.dispatcher ? undefined : new Agent({ keepAliveTimeout: 10_000, connections: 32 });
  const dispatcher = o.dispatcher ?? (owned as Agent);
  const maxBody = o.maxBodyBytes ?? 1024 * 1024;
  let closing: Promise<void> | undefined;
  const auth: D3Auth = o.auth ?? { kind: 'key', header: o.keyHeader };
  // Loaded now, not on the first signed call: that call is made right after its rate-limit slot, and
  // loading jose then would delay its arrival at D3 past the limiter's allowance.
  if (auth.kind === 'jwt') void import('jose').catch(() => {});
  const jwtSecrets =
    auth.kind === 'jwt' ? [auth.secret, auth.stateSecret, ...(auth.fieldsSecret ? [auth.fieldsSecret] : [])] : [];
  const keys = [o.apiKey, o.stateApiKey, ...(o.fieldsApiKey ? [o.fieldsApiKey] : []), ...jwtSecrets]
    .map((k) => k.reveal())
    .filter((k) => k.length >= 4);
  const scrub = (s: string) => keys.reduce((acc, k) => acc.split(k).join('[redacted]'), s);

  /** Never lets the key out through D3's own echo of it, however unlikely. */
  function redacted(err: CloseError): CloseError {
    const e =
      auth.kind === 'jwt' && err.code === 'd3_unauthorized'
        ? new CloseError(err.code, { ...err.detail, hint: jwtHint }, { cause: err.cause })
        : err;
    const d3Message = e.detail.d3Message;
    if (d3Message === undefined || scrub(d3Message) === d3Message) return e;
    return new CloseError(e.code, { ...e.detail, d3Message: scrub(d3Message) }, { cause: e.cause });
  }

  async function post(name: string, which: 'close' | 'state' | 'fields', body: object) {
    // Signed over the very object sent below, before anything leaves: a signing failure is ours, not D3's.
    const credentials = await authHeaders(
      auth,
      which,
      { close: o.apiKey, state: o.stateApiKey, fields: o.fieldsApiKey },
      body,
    );
    let res: Dispatcher.ResponseData;
    try {
      res = await request(commandUrl(o.baseUrl, o.namespace, name), {
        method: 'POST',
        dispatcher,
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
        // A guard against a reply that trickles in forever; each pause is already bounded by bodyTimeout.
        signal: AbortSignal.timeout(o.timeoutMs * 3),
        headers: { 'content-type': 'application/json', accept: 'application/json', ...credentials },
        body: JSON.stringify(body),
      });
    } catch (e) {
      throw transportError(e, scrub);
    }
    const status = res.statusCode;
    const headers = res.headers;
    try {
      const declared = Number(headers['content-length']);
      if (declared > maxBody) throw tooLarge(status);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBody) throw tooLarge(status);
        chunks.push(chunk);
      }
      return { status, headers, text: Buffer.concat(chunks).toString('utf8') };
    } catch (e) {
      res.body.destroy();
      if (isCloseError(e)) throw e;
      // The status line arrived; when it already says "not acted on" (429, 503, 4xx) that still holds.
      if (status === 429 || status === 503 || (status >= 400 && status < 500)) throw statusError(status, '', headers);
      throw transportError(e, scrub);
    }
  }

  const tooLarge = (status: number) =>
    new CloseError('d3_bad_reply', { status, reason: `reply larger than ${maxBody} bytes` });

  return {
    async close(cmd) {
      const res = await post(o.closeCommand, 'close', closeBody(o.closeCommand, cmd));
      try {
        return parseCloseReply(res.status, res.text, { ...cmd, command: o.closeCommand }, res.headers);
      } catch (e) {
        throw isCloseError(e) ? redacted(e) : e;
      }
    },
    async closeBulk(cmds) {
      const res = await post('CloseIncidentInBulk', 'close', bulkCloseBody(cmds));
      try {
        const answers = parseBulkCloseReply(res.status, res.text, cmds, res.headers);
        for (const [n, a] of answers) if ('error' in a) answers.set(n, { error: redacted(a.error) });
        return answers;
      } catch (e) {
        throw isCloseError(e) ? redacted(e) : e;
      }
    },
    async getState(q) {
      const res = await post(STATE_COMMAND, 'state', stateBody(q));
      try {
        return parseStateReply(res.status, res.text, q.incidentNumber, res.headers);
      } catch (e) {
        throw isCloseError(e) ? redacted(e) : e;
      }
    },
    async setFields(cmd) {
      const res = await post(FIELDS_COMMAND, 'fields', fieldsBody(cmd));
      try {
        parseFieldsReply(res.status, res.text, cmd.incidentNumber, res.headers);
      } catch (e) {
        throw isCloseError(e) ? redacted(e) : e;
      }
    },
    destroy() {
      closing ??= owned ? owned.close() : Promise.resolve();
      return closing;
    },
  };
}
