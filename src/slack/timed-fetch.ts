import { requestFetch } from './request-fetch.ts';

/**
 * How long one call to Slack may take: a Web API method (Bolt's client and ours) or a POST to a
 * response_url. Without it a Slack that accepts the connection and never answers held the listener,
 * and with it the request, until shutdown (issue 7).
 */
export const slackCallTimeoutMs = 8_000;

/**
 * fetch that gives up after `timeoutMs`, on top of any signal the caller passes. Bolt's respond()
 * POSTs with `clientOptions.fetch` and sets no timeout of its own; WebClient adds its own signal.
 * Over undici.request by default (request-fetch.ts).
 */
export function timedFetch(timeoutMs: number, base: typeof fetch = requestFetch): typeof fetch {
  return (input, init) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    return base(input, { ...init, signal });
  };
}
