/**
 * Hands one verified Slack request to Bolt (or to an answer decided before Bolt, http-receiver.ts
 * earlyAnswer) and answers Slack's HTTP request with the handler's ack, timed
 * (close_incident_ack_seconds); an empty 200 at 3 s if nothing has acked by then, and a 404 when no
 * listener matched.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '@slack/bolt';
import type { Log } from '../log.ts';
import { send, sendAck } from './http-send.ts';
import { listenerFailedText } from './render/messages.ts';
import { stringHeader } from './request.ts';

export interface DispatchOptions {
  log: Log;
  onAck?: (ms: number) => void;
  /** Handler runs under way, awaited on shutdown. */
  inFlight: Set<Promise<unknown>>;
}

/** Sends Slack's acknowledgement: once, the first call wins. */
export type Ack = (response?: unknown) => Promise<void>;

const ackTimeoutMs = 3_000;

export function dispatch(
  app: App,
  req: IncomingMessage,
  res: ServerResponse,
  body: Record<string, unknown>,
  o: DispatchOptions,
): Promise<void> {
  const retryNum = numberHeader(req.headers['x-slack-retry-num']);
  const retryReason = stringHeader(req.headers['x-slack-retry-reason']);
  return answer(res, o, (ack) => app.processEvent({ body, retryNum, retryReason, ack }));
}

/**
 * Runs `handle` inside Slack's 3 s acknowledgement window. The response is let go once the ack is
 * sent: a close keeps its ack function for the seconds it waits for D3, and holding the response
 * (with its request, headers and socket state) that long got them promoted to the old generation
 * and collected by the major GCs that set the ack's p99 under load (README › Performance).
 */
export async function answer(
  response: ServerResponse,
  o: DispatchOptions,
  handle: (ack: Ack) => Promise<void>,
): Promise<void> {
  const started = performance.now();
  let res: ServerResponse | undefined = response;
  const take = () => {
    const r = res;
    res = undefined;
    return r?.headersSent ? undefined : r;
  };
  const timer = setTimeout(() => {
    // Nothing acknowledged in Slack's window: answer anyway so Slack shows the user something.
    const r = take();
    if (!r) return;
    o.log.warn('request not acknowledged within 3 seconds');
    send(r, 200, '');
    // Counted too: the slowest acks are the ones the histogram (close_incident_ack_seconds) is for.
    o.onAck?.(performance.now() - started);
  }, ackTimeoutMs);
  const ack: Ack = async (reply) => {
    const r = take();
    if (!r) return;
    clearTimeout(timer);
    sendAck(r, reply);
    o.onAck?.(performance.now() - started);
  };
  const work = handle(ack).finally(() => clearTimeout(timer));
  o.inFlight.add(work);
  try {
    await work;
  } catch (e) {
    o.log.error({ err: e }, 'listener failed');
    const r = take();
    if (r) send(r, 200, listenerFailedText);
  } finally {
    o.inFlight.delete(work);
  }
  // No listener matched (an unknown command or payload type): a polite 404, never a hang.
  const r = take();
  if (r) send(r, 404, 'unsupported request');
}

const numberHeader = (v: string | string[] | undefined) => {
  const n = Number(stringHeader(v));
  return Number.isInteger(n) ? n : undefined;
};
