import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

const sent = 300;
const bound = 5;

function storedAuditKeys(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY);
    db.all<{ key: string }>("SELECT key FROM keyv WHERE key LIKE 'ci:audit:%' ORDER BY key", (err, rows) => {
      db.close();
      if (err) reject(err);
      else resolve(rows.map((r) => r.key));
    });
  });
}

async function metric(h: Harness, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${h.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('refusals cannot fill the store', () => {
  let dir: string;
  let h: Harness | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'close-incident-bound-'));
  });
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores at most 5 refused attempts a minute per Slack user and counts the rest in /metrics', async () => {
    const file = join(dir, 'db.sqlite');
    h = await startHarness({ env: { STORE_URL: `sqlite://${file}` } });
    for (let i = 0; i < sent; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, sent - i) }, (_, j) =>
          h!.command({
            user_id: 'U0UNKNOWN',
            text: `20200526-${i + j} spam`,
            response_url: h!.slack.responseUrl('spam'),
          }),
        ),
      );
    }
    await h.slack.waitFor(() => h!.slack.responses('spam').length === sent, 30_000);
    expect(h.slack.responses('spam').every((r) => JSON.stringify(r).includes('not mapped'))).toBe(true);

    await h.command({ user_id: 'U0OTHER', text: '20200526-999 another user', response_url: h.slack.responseUrl('x') });
    await h.slack.waitFor(() => h!.slack.responses('x').length === 1);
    expect(await metric(h, 'close_incident_refusals_unrecorded_total')).toBe(sent - bound);
    expect(await metric(h, 'close_incident_closures_total{outcome="refused",code="user_unmapped"}')).toBe(sent + 1);

    const entries = h
      .logs()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { msg: string; audit?: { slackUserId: string; incidentNumber: string } });
    expect(entries.filter((e) => e.audit?.slackUserId === 'U0UNKNOWN')).toHaveLength(bound);
    expect(entries.filter((e) => e.audit?.slackUserId === 'U0OTHER')).toHaveLength(1);
    expect(entries.filter((e) => e.msg.includes('over the limit'))).toHaveLength(1);

    const recorded = entries.flatMap((e) => (e.audit?.slackUserId === 'U0UNKNOWN' ? [e.audit.incidentNumber] : []));
    const unrecorded = Array.from({ length: sent }, (_, i) => `20200526-${i}`).find((n) => !recorded.includes(n));
    await h.command({ text: `history ${recorded[0]}`, response_url: h.slack.responseUrl('recorded') });
    await h.command({ text: `history ${unrecorded}`, response_url: h.slack.responseUrl('unrecorded') });
    await h.slack.waitFor(() => h!.slack.responses('recorded').length + h!.slack.responses('unrecorded').length === 2);
    expect(JSON.stringify(h.slack.responses('recorded'))).toMatch(/refused \(user_unmapped\)/);
    expect(JSON.stringify(h.slack.responses('unrecorded'))).toContain('No close attempts recorded');

    await h.stop();
    h = undefined;
    const keys = await storedAuditKeys(file);
    expect(keys).toEqual([...recorded, '20200526-999'].map((n) => `ci:audit:${n}`).sort());
  });
});
