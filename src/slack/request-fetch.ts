import { request } from 'undici';

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
 * resolves (Slack's replies are small JSON; the socket is free at once), and redirects are not followed (a
 * 3xx comes back as it is; web-api asks for `redirect: 'error'` anyway). A body that is not a string (a
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
  const text = await res.body.text();
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
  }
  const response: ReadResponse = {
    ok: res.statusCode >= 200 && res.statusCode < 300,
    status: res.statusCode,
    statusText: '',
    url,
    headers,
    redirected: false,
    text: async () => text,
    json: async () => JSON.parse(text),
    arrayBuffer: async () => {
      const bytes = new TextEncoder().encode(text);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
  return response as unknown as Response;
}) as typeof fetch;
