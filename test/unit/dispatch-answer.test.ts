import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.ts';
import { type Ack, answer } from '../../src/slack/dispatch.ts';
import { listenerFailedText } from '../../src/slack/render/messages.ts';

/**
 * Slack's acknowledgement window as the receiver keeps it for any handler (Bolt's processEvent or an
 * early answer's run), over a real HTTP server: one answer per request whatever the handler does, and
 * every answer sent counted in the ack histogram, the 3 s one included (the slowest are what it is for).
 */
let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => server?.close(r));
  server = undefined;
});

async function serve(handle: (ack: Ack) => Promise<void>) {
  const acks: number[] = [];
  const inFlight = new Set<Promise<unknown>>();
  server = createServer((_req, res) => {
    void answer(res, { log: createLog('silent'), onAck: (ms) => acks.push(ms), inFlight }, handle);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', body: '' });
  return { status: res.status, text: await res.text(), ms: performance.now() - started, acks, inFlight };
}

describe('answer: the 3 s acknowledgement window', () => {
  it('a handler that never acks: an empty 200 at 3 s, counted once; its late ack sends nothing', async () => {
    let late: Promise<void> | undefined;
    const r = await serve(async (ack) => {
      await new Promise((res) => setTimeout(res, 3_300));
      late = ack('too late');
    });
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expect(r.ms).toBeGreaterThanOrEqual(2_900);
    expect(r.acks).toHaveLength(1);
    expect(r.acks[0]).toBeGreaterThanOrEqual(2_900);
    await new Promise((res) => setTimeout(res, 500));
    await late;
    expect(r.acks).toHaveLength(1);
  }, 10_000);

  it('an ack: sent at once and counted, a second ack ignored', async () => {
    const r = await serve(async (ack) => {
      await ack({ text: 'Closing 20200526-23…' });
      await ack('second');
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ text: 'Closing 20200526-23…' });
    expect(r.acks).toHaveLength(1);
  });

  it('a handler that throws before acking: 200 with the failure text; one that ends without acking: 404', async () => {
    const thrown = await serve(async () => {
      throw new Error('boom');
    });
    expect(thrown.status).toBe(200);
    expect(thrown.text).toBe(listenerFailedText);
    await new Promise((r) => server?.close(r));
    const unmatched = await serve(async () => {});
    expect(unmatched.status).toBe(404);
    expect(unmatched.inFlight.size).toBe(0);
  });
});
