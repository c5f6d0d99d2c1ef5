import { promisify } from 'node:util';
import { brotliDecompress, constants, gunzip, inflate, inflateRaw } from 'node:zlib';
import { request } from 'undici';

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);
const brotliAsync = promisify(brotliDecompress);

/**
 * What our Slack calls read of a fetch Response (@slack/web-api, Bolt's respond(), queued-reply.ts):
 * status, headers, url and the body as text, JSON or bytes. Nothing reads `body` as a stream.
 */
interface ReadResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  headers: Headers;
  redirected: false;
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * fetch's surface over `undici.request`, for every call to Slack: the Web API clients (Bolt's and ours),
 * respond() and the response_url POSTs. Node's fetch builds a Request, a Response and web streams (a tee
 * of each body) per call, all alive for the round trip, so the young generation promoted them: sampled at
 * 500 req/s (HeapProfiler, objects collected by major GCs), Node's fetch was 25% of those bytes, and a
 * major GC's marking steps share the thread with the acknowledgements. With this, three `BENCH_ONLY=500`
 * runs each in turn had one major GC in the run instead of two, and acks over 5 ms 119, 68, 75 against 172,
 * 291, 143 (README, Performance).
 *
 * Differences from fetch, none of which our calls rely on: the body is read whole before the promise
 * resolves (Slack's replies are small JSON; the socket is free at once; a body that fails to arrive fails
 * its text()/json(), as fetch's does), and redirects are not followed (a 3xx comes back as it is, and under
 * web-api's `redirect: 'error'` rejects as fetch does). No Accept-Encoding is sent; a compressed body is
 * undone anyway, as fetch would. A body that is not a string (a
 * file upload's FormData) and a Request object go through Node's fetch as before. Errors stay errors:
 * a refused connection, a reset or an abort (the caller's signal, web-api's timeout) reject, as fetch's do,
 * and the callers read any rejection as "maybe sent" (summary-post.ts).
 */
export const requestFetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
  const { body } = init;
  if (input instanceof Request || (body !== undefined && body !== null && typeof body !== 'string')) {
    return fetch(input, init);
  }
  const url = String(input);
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    headers: Object.fromEntries(new Headers(init.headers)),
    body: body ?? undefined,
    signal: init.signal ?? undefined,
  });
  if (init.redirect === 'error' && redirectStatuses.has(res.statusCode)) {
    // fetch's own answer to a redirect under `redirect: 'error'` (web-api asks for it): a network error, so
    // web-api reads it as a request error (slack_unreachable, maybe posted), not as an HTTP answer.
    await res.body.dump().catch(() => undefined);
    throw new TypeError('fetch failed', { cause: new Error('unexpected redirect') });
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
  }
  // As with fetch, the status and headers are the answer and the body is read after: a body that fails
  // (a reset, the deadline) fails when read, not the call, so a 429 with Retry-After whose body breaks is
  // still Slack's "rate limited" (proven not posted) and not a "maybe posted".
  let bytes: Uint8Array = new Uint8Array(0);
  let failed: { error: unknown } | undefined;
  try {
    bytes = await decode(Buffer.from(await res.body.arrayBuffer()), headers.get('content-encoding'));
  } catch (error) {
    failed = { error };
  }
  const read = async () => {
    if (failed) throw failed.error;
    return bytes;
  };
  const response: ReadResponse = {
    ok: res.statusCode >= 200 && res.statusCode < 300,
    status: res.statusCode,
    statusText: '',
    url,
    headers,
    redirected: false,
    text: async () => new TextDecoder().decode(await read()),
    json: async () => JSON.parse(new TextDecoder().decode(await read())),
    arrayBuffer: async () => {
      const b = await read();
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
  };
  return response as unknown as Response;
}) as typeof fetch;

/**
 * Content-Encoding undone as fetch undoes it (gzip, deflate, br; an unknown coding leaves the body as
 * it is): a proxy that compresses what we did not ask to be compressed must not turn Slack's "ok" into
 * bytes web-api reads as an error Slack answered (a permanent "not posted" for a posted summary).
 */
async function decode(body: Buffer, encoding: string | null): Promise<Uint8Array> {
  if (!encoding || body.length === 0) return body;
  const codings = encoding
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean)
    .reverse();
  if (!codings.every((c) => ['gzip', 'x-gzip', 'deflate', 'br'].includes(c))) return body;
  let out: Buffer = body;
  for (const c of codings) {
    if (c === 'br') out = await brotliAsync(out);
    else if (c === 'deflate') out = await inflateAsync(out).catch(() => inflateRawAsync(out));
    else
      out = await gunzipAsync(out, {
        flush: constants.Z_SYNC_FLUSH,
        finishFlush: constants.Z_SYNC_FLUSH,
      });
  }
  return out;
}
