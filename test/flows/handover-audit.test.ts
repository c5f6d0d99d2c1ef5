import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/keyv-store.ts';
import type { Harness } from '../support/harness.ts';
import { useSqliteInstances } from '../support/sqlite-instances.ts';

const closes = 6;
const number = (i: number) => `20261203-${i}`;

interface AuditLine {
  msg: string;
  audit: { incidentNumber: string; requestId: string; outcome: string; code: string | null };
}

const auditLines = (h: Harness): AuditLine[] =>
  h
    .logs()
    .split('\n')
    .filter((l) => l.includes('"audit":'))
    .map((l) => JSON.parse(l) as AuditLine);

const closureCounts = async (h: Harness) =>
  (await h.bot.metrics.registry.metrics()).split('\n').filter((l) => l.startsWith('close_incident_closures_total{'));

/**
 * A graceful stop hands the closes still waiting for a D3 slot over (kept stored, unclaimed); the restart
 * closes them. The instance that stopped did not fail them: its audit line, its stored record (what
 * `history` and App Home read) and its close metric must say "handed over", not "failed", and the history
 * must then show the restart's close, under the same request, as closed.
 */
describe('what the audit says about a close handed over at a graceful stop (sqlite)', () => {
  const instances = useSqliteInstances('close-incident-handover-', { D3_MAX_RPS: '2', OUTBOX_CLAIM_TTL_MS: '6000' });
  const { start } = instances;

  it('records the hand-over as handed over, never failed, and the restart’s close as closed by the same request', async () => {
    const d3 = instances.d3();
    const slack = instances.slack();
    const first = await start();
    const acks = await Promise.all(
      Array.from({ length: closes }, (_, i) =>
        first.command({ text: `${number(i)} benign scanner ${i}`, response_url: slack.responseUrl(`r${i}`) }),
      ),
    );
    expect(acks.map((a) => a.status)).toEqual(Array(closes).fill(200));
    await slack.waitFor(() => d3.closeCalls().length >= 1, 10_000);
    await instances.stop(first);

    const handed = Array.from({ length: closes }, (_, i) => i).filter((i) =>
      JSON.stringify(slack.responses(`r${i}`)).includes('restarting'),
    );
    expect(handed.length).toBeGreaterThan(0);
    const firstAudits = auditLines(first);
    const handedAudits = handed.map((i) => firstAudits.filter((a) => a.audit.incidentNumber === number(i)));
    expect(handedAudits.map((as) => as.map((a) => a.msg))).toEqual(handed.map(() => ['close attempt: handed_over']));
    expect(firstAudits.map((a) => a.audit.outcome)).not.toContain('failed');
    expect(await closureCounts(first)).toContain(
      `close_incident_closures_total{outcome="handed_over",code=""} ${handed.length}`,
    );
    expect((await closureCounts(first)).filter((l) => l.includes('outcome="failed"'))).toEqual([]);

    const store = await createStore(instances.storeUrl());
    const stored = await Promise.all(handed.map((i) => store.audit.history(number(i))));
    await store.close();
    expect(stored.map((rs) => rs.map((r) => [r.outcome, r.requestId]))).toEqual(
      handedAudits.map((as) => [['handed_over', as[0]?.audit.requestId]]),
    );

    const second = await start();
    await slack.waitFor(() => d3.closeCalls().length >= closes, 30_000);
    await slack.waitFor(() => handed.every((i) => slack.responses(`r${i}`).length === 2), 10_000);
    for (const i of handed) expect(JSON.stringify(slack.responses(`r${i}`)[1])).toContain(`Closed ${number(i)} in D3`);

    const secondAudits = auditLines(second);
    for (const [k, i] of handed.entries()) {
      const taken = secondAudits.filter((a) => a.audit.incidentNumber === number(i));
      expect(taken.map((a) => [a.msg, a.audit.requestId])).toEqual([
        ['close attempt: closed', handedAudits[k]?.[0]?.audit.requestId],
      ]);
    }
    expect((await closureCounts(second)).filter((l) => l.includes('outcome="failed"'))).toEqual([]);

    for (const i of handed) {
      await second.command({ text: `history ${number(i)}`, response_url: slack.responseUrl(`h${i}`) });
      await slack.waitFor(() => slack.responses(`h${i}`).length === 1);
      const text = String((slack.responses(`h${i}`)[0] as { text: string }).text);
      const attempts = text.split('\n').slice(1);
      expect(attempts).toEqual([
        expect.stringMatching(/— <@U1234> as jdoe — closed — /),
        expect.stringMatching(/— <@U1234> as jdoe — handed over /),
      ]);
    }
  }, 90_000);
});
