/** Plain answers on the receiver's HTTP responses (Slack's acks, refusals, probes). */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * An answer that closes the connection when the body is not all in: a body left unread would be taken
 * for the next request on a kept-alive connection, and waiting for it is what a slow client wants.
 */
export function refuse(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  if (!req.complete) {
    res.setHeader('connection', 'close');
    // Node would go on reading (and dropping) the body until the answer is flushed; stop at once.
    res.once('finish', () => req.socket.destroy());
  }
  send(res, status, text);
}

export function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

export function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

/** A listener's acknowledgement as Slack reads it: empty, plain text, or a JSON message. */
export function sendAck(res: ServerResponse, response?: unknown): void {
  if (response === undefined || response === '') send(res, 200, '');
  else if (typeof response === 'string') send(res, 200, response);
  else sendJson(res, response);
}
