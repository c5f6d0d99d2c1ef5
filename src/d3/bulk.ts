/**
 * Closing many incidents: one CloseIncidentInBulk call per chunk of D3_BULK_CHUNK numbers, or one
 * CloseIncident call per incident, every call through the same rate limiter. Each incident's answer
 * then goes through the gateway's own truth rules (settle): an incident without a proving entry is an
 * unknown outcome, resolved by its state and credited only with evidence.
 */
import { CloseError, isCloseError } from '../domain/errors.ts';
import type { CloseCommand, IncidentBulkCloser, ItemResult } from '../domain/ports.ts';
import type { Closure } from '../domain/types.ts';
import type { ItemAnswer } from './bulk-reply.ts';
import type { CloseCommandName } from './reply.ts';
import type { Run } from './retry.ts';

export interface BulkCloserOptions {
  command: CloseCommandName;
  chunkSize: number;
  /** Calls (closes or state checks) one bulk close keeps in flight at most, so it cannot fill the queue alone. */
  concurrency?: number;
  retryDeadlineMs: number;
  now: () => number;
  /** One POST of CloseIncidentInBulk for several numbers, read per incident (client.closeBulk). */
  closeBulk(cmds: CloseCommand[]): Promise<Map<string, ItemAnswer>>;
  /** The gateway's retry loop: a rate-limit slot per attempt, retried only where D3 did not act. */
  withRetries<T>(call: 'close', run: Run, fn: () => Promise<T>): Promise<T>;
  /** The single close: used per incident with CloseIncident, and for a chunk of one. */
  closeIncident(cmd: CloseCommand): Promise<Closure>;
  /** The gateway's truth rules applied to an answer already received (state check, evidence, one resend). */
  settle(run: Run, first: () => Promise<Closure>): Promise<Closure>;
}

const resultOf = (p: Promise<Closure>): Promise<ItemResult> =>
  p.then(
    (closure) => ({ ok: true, closure }),
    (e: unknown) => ({ ok: false, error: isCloseError(e) ? e : new CloseError('internal', {}, { cause: e }) }),
  );

/** Runs fn over items with at most `limit` in flight. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function createBulkCloser(o: BulkCloserOptions): IncidentBulkCloser {
  const concurrency = o.concurrency ?? 20;

  type Settle = { cmd: CloseCommand; result: () => Promise<ItemResult> };

  /** One chunk: a single POST; what each incident then needs (its answer judged, maybe a state check). */
  async function closeChunk(cmds: CloseCommand[]): Promise<Settle[]> {
    const first = cmds[0];
    if (!first) return [];
    if (cmds.length === 1) return [{ cmd: first, result: () => resultOf(o.closeIncident(first)) }];
    const label = { ...first, incidentNumber: cmds.map((c) => c.incidentNumber).join(','), signal: undefined };
    const chunkRun: Run = { cmd: label, deadline: o.now() + o.retryDeadlineMs };
    let sent: CloseCommand[] = [];
    let answers: Map<string, ItemAnswer> | undefined;
    let failure: unknown;
    try {
      answers = await o.withRetries('close', chunkRun, () => {
        // Retries follow only calls D3 did not act on, so the last attempt's list is what D3 got.
        // An incident whose lock was lost meanwhile is left out: another request may be closing it.
        sent = cmds.filter((c) => !c.signal?.aborted);
        if (sent.length === 0) throw new CloseError('lock_lost', { reason: 'every lock lost before the close' });
        return o.closeBulk(sent);
      });
    } catch (e) {
      failure = e;
    }
    return cmds.map((cmd) => {
      if (!sent.includes(cmd)) {
        const lost = new CloseError('lock_lost', { reason: 'lock lost before the close' });
        return { cmd, result: async () => ({ ok: false, error: lost }) };
      }
      const answer = answers?.get(cmd.incidentNumber);
      const firstAnswer = async (): Promise<Closure> => {
        if (answer === undefined) throw failure ?? new CloseError('d3_outcome_unknown', { reason: 'no answer' });
        if ('error' in answer) throw answer.error;
        return answer.closure;
      };
      const run: Run = { cmd, deadline: chunkRun.deadline, firstSentAt: chunkRun.firstSentAt };
      return { cmd, result: () => resultOf(o.settle(run, firstAnswer)) };
    });
  }

  return {
    async closeIncidents(cmds, onResult) {
      const settle = async (s: Settle) => onResult(s.cmd.incidentNumber, await s.result());
      if (o.command === 'CloseIncident') {
        const each = cmds.map((cmd) => ({ cmd, result: () => resultOf(o.closeIncident(cmd)) }));
        return eachLimited(each, concurrency, settle);
      }
      // Chunk after chunk: each chunk's incidents are settled (bounded) before the next chunk is sent.
      for (let i = 0; i < cmds.length; i += o.chunkSize) {
        await eachLimited(await closeChunk(cmds.slice(i, i + o.chunkSize)), concurrency, settle);
      }
    },
  };
}
