/**
 * Promise broken: README, "Every incident of a bulk close keeps its own … de-duplication": "a mark the
 * store cannot read is unknown, not new: that incident is not sent and is listed 'outcome unknown, check
 * D3' … and a redelivery may send it" (local-store.ts once(): "the claim is given back so a later
 * delivery may ask again").
 *
 * On sqlite a list item's once() mark is written to the file after its claim in memory. Every store call
 * gives up after 3 s (keyv-store.ts), but that only rejects the caller: once() itself goes on. With the
 * file's write lock held for 4 s by another connection (a backup, an operator's shell; busyTimeout is 5 s)
 * the caller was told "unknown" (nothing sent, "outcome unknown, check D3"), while once() kept its claim
 * and wrote the mark a second later. The same list redelivered is then dropped whole: "already received,
 * so none of them was sent to D3 again" for incidents that were never sent, and none is closed.
 *
 * Real parts: the app over HTTP, fake D3 and fake Slack as servers, signed requests, the app's own sqlite
 * file locked by a second sqlite connection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

const NUMBERS = ['20200526-23', '20200526-24', '20200526-31'];

function run(db: sqlite3.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.run(sql, (e) => (e ? reject(e) : resolve())));
}

describe('attack15: a list whose de-duplication marks the sqlite file is slow to take', () => {
  let dir: string;
  let h: Harness | undefined;
  let other: sqlite3.Database | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'close-incident-a15-'));
  });
  afterEach(async () => {
    await new Promise<void>((r) => (other ? other.close(() => r()) : r()));
    other = undefined;
    await h?.stop();
    h = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('an item told "outcome unknown" because the store was slow is sent when Slack redelivers the list', async () => {
    const file = join(dir, 'store.sqlite');
    h = await startHarness({ env: { STORE_URL: `sqlite://${file}` } });
    const harness = h;
    const trigger_id = '1337.4412345678.slowmark';
    const send = () =>
      harness.command(
        { text: `${NUMBERS.join(',')} storm`, trigger_id, response_url: harness.slack.responseUrl('analyst') },
        'close-command.form',
      );

    // Another connection takes the file's write lock for 4 s: the app's writes wait (busyTimeout 5 s).
    other = new sqlite3.Database(file);
    await run(other, 'BEGIN IMMEDIATE');
    await run(other, `INSERT OR REPLACE INTO keyv (key, value) VALUES ('attack15', '{}')`);
    const unlocked = new Promise<void>((resolve) =>
      setTimeout(() => run(other!, 'COMMIT').then(resolve, resolve), 4_000),
    );
    expect((await send()).status).toBe(200);
    await unlocked;
    const finalOf = () =>
      harness.slack
        .responses('analyst')
        .map((r) => JSON.stringify(r))
        .filter((t) => !/Closing 3 incidents/.test(t));
    await harness.slack.waitFor(() => finalOf().length >= 1, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    const first = finalOf().at(-1) ?? '';
    console.log(
      `[attack15 slow mark] D3 close calls: ${harness.d3.closeCalls().length}; first answer: ${first.slice(0, 400)}`,
    );
    // The store did not answer in time: unknown, nothing sent (as promised).
    expect(harness.d3.closeCalls()).toHaveLength(0);
    expect(first).not.toMatch(/already received/);

    // Slack redelivers the same list (the store answering again): it may now be sent, as the README says.
    const before = harness.slack.responses('analyst').length;
    expect((await send()).status).toBe(200);
    await harness.slack.waitFor(() => harness.slack.responses('analyst').length >= before + 1, 15_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const again = JSON.stringify(harness.slack.responses('analyst').at(-1));
    console.log(
      `[attack15 slow mark] after the redelivery: D3 close calls: ${harness.d3.closeCalls().length}; told: ${again.slice(0, 400)}`,
    );
    expect(again).not.toMatch(/already received/);
    expect(harness.d3.closeCalls()).toHaveLength(3);
  }, 60_000);
});
