/**
 * Hands one verified Slack request to Bolt and answers Slack's HTTP request with the listener's ack,
 * timed (close_incident_ack_seconds); an empty 200 at 3 s if the listener has not acked by then, and a
 * 404 when no listener matched.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App, ReceiverEvent } from '@slack/bolt';
import type { Log } from '../log.ts';
import { send, sendAck } from './http-send.ts';
import { listenerFailedText } from './render/messages.ts';
import { stringHeader } from './request.ts';

export interface DispatchOptions {
  log: Log;
  onAck?: (ms: number) => void;
  /** Listener runs under way, awaited on shutdown. */
  inFlight: Set<Promise<unknown>>;
}

const ackTimeoutMs = 3_000;

export async function dispatch(
  app: App,
  req: IncomingMessage,
  res: ServerResponse,
  body: Record<string, unknown>,
  o: DispatchOptions,
): Promise<void> {
  const started = performance.now();
  let acked = false;
  const timer = setTimeout(() => {
    // Nothing acknowledged in Slack's window: answer anyway so Slack shows the user something.
    if (!acked && !res.headersSent) {
      acked = true;
      o.log.warn('request not acknowledged within 3 seconds');
      send(res, 200, '');
    }
  }, ackTimeoutMs);
  const event: ReceiverEvent = {
    body,
    retryNum: numberHeader(req.headers['x-slack-retry-num']),
    retryReason: stringHeader(req.headers['x-slack-retry-reason']),
    ack: async (response?: unknown) => {
      if (acked) return;
      acked = true;
      clearTimeout(timer);
      sendAck(res, response);
      o.onAck?.(performance.now() - started);
    },
  };
  const work = app.processEvent(event).finally(() => clearTimeout(timer));
  o.inFlight.add(work);
  try {
    await work;
  } catch (e) {
    o.log.error({ err: e }, 'listener failed');
    if (!acked && !res.headersSent) {
      acked = true;
      send(res, 200, listenerFailedText);
    }
  } finally {
    o.inFlight.delete(work);
  }
  if (!acked && !res.headersSent) {
    // No listener matched (an unknown command or payload type): a polite 404, never a hang.
    clearTimeout(timer);
    send(res, 404, 'unsupported request');
  }
}

const numberHeader = (v: string | string[] | undefined) => {
  const n = Number(stringHeader(v));
  return Number.isInteger(n) ? n : undefined;
};
