import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeD3, startFakeD3 } from '../support/fake-d3.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { botToken, d3Key, type Harness, startHarness } from '../support/harness.ts';

describe('the sqlite store across a restart', () => {
  let dir: string;
  let d3: FakeD3;
  let slack: FakeSlack;
  let h: Harness | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'close-incident-sqlite-'));
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken });
  });
  afterEach(async () => {
    await h?.stop();
    await Promise.all([d3.stop(), slack.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const start = () =>
    startHarness({
      d3,
      slack,
      env: { STORE_URL: `sqlite://${join(dir, 'db.sqlite')}`, SLACK_ADMIN_USER_IDS: 'U5678' },
    });
  const ask = async (user: string, text: string, id: string) => {
    await h!.command({ user_id: user, text, response_url: slack.responseUrl(id) });
    await slack.waitFor(() => slack.responses(id).length === 1);
    return JSON.stringify(slack.responses(id)[0]);
  };

  it('keeps an admin override and the audit history when the app is stopped and started on the same file', async () => {
    h = await start();
    expect(await ask('U5678', 'map <@U0NEW|newbie> nnew Client B', 'map')).toContain('nnew');
    expect(await ask('U1234', '20200526-23 closed before the restart', 'close')).toContain('20200526-23');
    expect(slack.calls('chat.postMessage')).toHaveLength(1);
    await h.stop();
    h = undefined;

    h = await start();
    const whoami = await ask('U0NEW', 'whoami', 'whoami');
    expect(whoami).toContain('nnew');
    expect(whoami).toContain('Client B');
    expect(whoami).toMatch(/override/i);

    const history = await ask('U1234', 'history 20200526-23', 'history');
    expect(history).toContain('<@U1234>');
    expect(history).toContain('as jdoe');
    expect(history).toMatch(/— closed —/);
    expect(d3.closeCalls()).toHaveLength(1);
  });
});
