import type { IncomingMessage } from 'node:http';
import { HttpError } from './request.ts';

/**
 * Room for request bodies not yet verified, across all connections. Until its signature is checked a
 * body is anyone's, so together they may hold only `cap` bytes: without this, 400 connections each
 * sending all but the last byte of a 1 MB body held 400 MB (issue 7). A body reserves its declared
 * length before a byte of it is read. When there is no room, bodies larger than the newcomer give
 * way (503) to it: Slack's arrive whole in a few kilobytes and are verified at once, so a flood of big
 * stalled bodies cannot lock Slack out, and a newcomer no smaller than them is refused unread.
 */
export class PendingBytes {
  #used = 0;
  readonly #shares = new Set<Share>();
  constructor(readonly cap: number) {}

  get used(): number {
    return this.#used;
  }

  /** A share of `bytes`, or undefined when even evicting larger bodies leaves no room. */
  reserve(bytes: number, evict: () => void): Share | undefined {
    while (this.#used + bytes > this.cap) {
      let largest: Share | undefined;
      for (const s of this.#shares) if (s.bytes > (largest?.bytes ?? bytes)) largest = s;
      if (!largest) return undefined;
      largest.evict();
      largest.release();
    }
    const share: Share = {
      bytes,
      evict,
      release: () => {
        if (this.#shares.delete(share)) this.#used -= bytes;
      },
    };
    this.#shares.add(share);
    this.#used += bytes;
    return share;
  }
}

export interface Share {
  readonly bytes: number;
  evict(): void;
  release(): void;
}

export interface BodyLimits {
  /** One request's body; beyond it 413. */
  maxBytes: number;
  /** From now until the last byte; beyond it 408. Slack sends its few kilobytes at once. */
  deadlineMs: number;
  /** Shared with every other request being read; 503 when it has no room. */
  pending: PendingBytes;
}

const tooMany = () => new HttpError(503, 'too many request bodies in flight');

/**
 * The raw body, within `limits`. On a refusal reading stops (nothing is destroyed mid-request, so the
 * answer still reaches the client) and the receiver closes the connection once it has answered. The
 * body holds its share of `pending` until this settles; the caller verifies it at once.
 */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const declared = req.headers['content-length'];
  // Chunked (Slack never sends it): its length is unknown, so it reserves the most it may send.
  const expected = declared === undefined ? limits.maxBytes : Number(declared);
  if (expected > limits.maxBytes) return Promise.reject(new HttpError(413, 'body too large'));
  return new Promise((resolve, reject) => {
    const share = limits.pending.reserve(expected, () => settle(tooMany()));
    if (!share) return reject(tooMany());
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (refusal?: HttpError) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError);
      const raw = refusal ? undefined : Buffer.concat(chunks);
      share.release();
      chunks.length = 0;
      if (raw) return resolve(raw);
      req.pause();
      reject(refusal);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > share.bytes) return settle(new HttpError(413, 'body too large'));
      chunks.push(chunk);
    };
    const onEnd = () => settle();
    // The client went away mid-body ('aborted'): nobody is left to answer, but it is their doing, not ours.
    const onError = () => settle(new HttpError(400, 'request body incomplete'));
    const timer = setTimeout(() => settle(new HttpError(408, 'request body not received in time')), limits.deadlineMs);
    req.on('data', onData);
    req.once('end', onEnd);
    req.on('error', onError);
  });
}
