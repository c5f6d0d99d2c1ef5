import { describe, expect, it } from 'vitest';
import type { CloseRequest } from '../../src/domain/close-incident.ts';
import type { D3Gateway } from '../../src/domain/ports.ts';
import type { Outcome } from '../../src/domain/types.ts';
import { trackAdmission } from '../../src/runtime/admission.ts';

const tick = () => new Promise((r) => setTimeout(r, 2));
const req = (i: number) => ({ requestId: `r${i}`, incidentNumber: `20261201-${i}` }) as CloseRequest;

/** The gate between "acknowledged" and "in D3's queue": bounded, never losing a place. */
describe('admission gate', () => {
  function setup(aheadMax: number) {
    const sent: string[] = [];
    const d3 = {
      closeIncident: async (cmd: { requestId: string }) => void sent.push(cmd.requestId),
      queueDepth: () => 0,
    } as unknown as D3Gateway;
    const admission = trackAdmission(d3, 500, { aheadMax });
    let before = 0;
    let most = 0;
    /** A close's work before D3 (store reads, lock), then its call, then the rest. */
    const close = admission.gate(async (r: CloseRequest): Promise<Outcome> => {
      most = Math.max(most, ++before);
      await tick();
      before--;
      if (r.incidentNumber.endsWith('-refused')) throw new Error('refused before D3');
      await admission.closer.closeIncident({ requestId: r.requestId } as never);
      await tick();
      return { ok: true } as Outcome;
    });
    return { close, sent, most: () => most };
  }

  it('runs 100 closes with at most 16 before D3 at once, and every one reaches D3', async () => {
    const { close, sent, most } = setup(16);
    await Promise.all(Array.from({ length: 100 }, (_, i) => close(req(i))));
    expect(most()).toBe(16);
    expect(new Set(sent).size).toBe(100);
  });

  it('gives the place back when a close ends before D3 (refused), so the queue behind it still runs', async () => {
    const { close, sent } = setup(2);
    const refused = Array.from({ length: 4 }, (_, i) => ({ ...req(i), incidentNumber: `x-${i}-refused` }));
    const results = await Promise.allSettled([...refused.map((r) => close(r)), close(req(10)), close(req(11))]);
    expect(results.map((r) => r.status)).toEqual([
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect(sent).toEqual(['r10', 'r11']);
  });

  it('counts a close as busy until it is in D3\'s queue, including its "attempted" store write', async () => {
    let recorded!: () => void;
    const slowWrite = new Promise<void>((r) => {
      recorded = r;
    });
    let queued = 0;
    const d3 = {
      // As the gateway does: the "attempted" write, then the wait for a slot (the queue).
      closeIncident: async (cmd: { beforeFirstSend?: () => Promise<void> }) => {
        await cmd.beforeFirstSend?.();
        queued++;
      },
      queueDepth: () => queued,
    } as unknown as D3Gateway;
    const admission = trackAdmission(d3, 1);
    const work = admission.admit(req(1), async (r) => {
      await admission.closer.closeIncident({ requestId: r.requestId, beforeFirstSend: () => slowWrite } as never);
    });
    await tick();
    // Neither "admitting" nor in the queue would read as room for one more close.
    expect(admission.busy()).toBe(true);
    recorded();
    await work;
    expect(queued).toBe(1);
    expect(admission.busy()).toBe(true);
  });

  it("leaves the gate at a close's first D3 call (the preview read), so slow D3 reads never cap closes at 16 per round trip", async () => {
    let answer!: () => void;
    const slowRead = new Promise<void>((r) => {
      answer = r;
    });
    const d3 = {
      closeIncident: async () => {},
      queueDepth: () => 0,
      readIncident: async () => {
        await slowRead;
        return {};
      },
      setIncidentFields: async () => {},
    } as unknown as D3Gateway;
    const admission = trackAdmission(d3, 500, { aheadMax: 1 });
    const reads = admission.reads(d3);
    const started: string[] = [];
    const close = admission.gate(async (r: CloseRequest): Promise<Outcome> => {
      started.push(r.requestId);
      await reads.readIncident({ requestId: r.requestId } as never);
      await admission.closer.closeIncident({ requestId: r.requestId } as never);
      return { ok: true } as Outcome;
    });
    const both = Promise.all([close(req(1)), close(req(2))]);
    await tick();
    // One place: the second close starts while the first waits for D3, not after.
    expect(started).toEqual(['r1', 'r2']);
    answer();
    await both;
  });

  it("holds closes before their store work while a second of calls waits in D3's queue, and lets them in as it drains", async () => {
    let depth = 0;
    const d3 = {
      // As the gateway does: the close joins D3's queue and waits there for its slot.
      closeIncident: async () => {
        depth++;
      },
      queueDepth: () => depth,
    } as unknown as D3Gateway;
    const admission = trackAdmission(d3, 500, { aheadMax: 16, lead: 4 });
    const started: string[] = [];
    const close = admission.gate(async (r: CloseRequest): Promise<Outcome> => {
      started.push(r.requestId);
      await tick();
      await admission.closer.closeIncident({ requestId: r.requestId } as never);
      return { ok: true } as Outcome;
    });
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => close(req(i))));
    await new Promise((r) => setTimeout(r, 60));
    // About four in D3's queue (one more may slip in while a close is between the gate and the queue):
    // the other five or six have done no work yet (stored and acknowledged, they wait).
    const first = started.length;
    expect(first).toBeGreaterThanOrEqual(4);
    expect(first).toBeLessThanOrEqual(5);
    // D3 takes two off its queue: as many come in (the gate looks again within 25 ms), no more.
    depth -= 2;
    await new Promise((r) => setTimeout(r, 60));
    expect(started).toHaveLength(first + 2);
    depth = 0;
    await all;
    expect(new Set(started).size).toBe(10);
  });
});
