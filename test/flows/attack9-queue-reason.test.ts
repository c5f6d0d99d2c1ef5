import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChildApp, startChildApp } from '../support/child-app.ts';
import { type FakeD3, startFakeD3 } from '../support/fake-d3.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { slashCommandBody } from '../support/fixtures.ts';
import { botToken, d3Key, defaultUserMap, harnessEnv, signingSecret } from '../support/harness.ts';
import { postSigned } from '../support/sign.ts';

const closes = 12;
const number = (i: number) => `20261202-${i}`;

/**
 * Attack on "no acknowledged close is dropped" together with "no close without the reason the analyst
 * gave": a close typed as `<number> fp: <note>` names its reason in the note. When its instance dies
 * while it waits for a D3 slot, the restart must close it as typed: the reason set first, the note
 * without its short form.
 */
describe('a taken-over close keeps the reason the analyst gave', () => {
  let d3: FakeD3;
  let slack: FakeSlack;
  let dir: string;
  let env: Record<string, string>;
  const children: ChildApp[] = [];

  beforeEach(async () => {
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken });
    dir = mkdtempSync(join(tmpdir(), 'close-incident-reason-'));
    const userMapFile = join(dir, 'users.yml');
    writeFileSync(userMapFile, defaultUserMap);
    env = harnessEnv({
      d3Url: d3.url,
      slackApiUrl: slack.apiUrl,
      userMapFile,
      DISPOSITIONS: 'fp=False Positive,tp=True Positive',
      D3_MAX_RPS: '4',
      OUTBOX_INTERVAL_MS: '300',
      OUTBOX_CLAIM_TTL_MS: '6000',
      STORE_URL: `sqlite://${join(dir, 'q.sqlite')}`,
    });
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.kill('SIGKILL');
      await c.exited;
    }
    await Promise.all([d3.stop(), slack.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sqlite: after a SIGKILL the restart sets "False Positive" before each close and sends the note as typed', async () => {
    const first = await startChildApp(env);
    children.push(first);
    const acks = await Promise.all(
      Array.from({ length: closes }, (_, i) =>
        postSigned(
          first.eventsUrl,
          slashCommandBody('close-command.form', {
            user_id: 'U1234',
            text: `${number(i)} fp: benign scanner ${i}`,
            response_url: slack.responseUrl(`r${i}`),
            trigger_id: `${Date.now()}.4412345678.f${i}`,
          }),
          { secret: signingSecret },
        ),
      ),
    );
    expect(acks.map((a) => a.status)).toEqual(Array(closes).fill(200));
    await slack.waitFor(() => d3.closeCalls().length >= 1, 10_000);
    first.kill('SIGKILL');
    await first.exited;
    expect(d3.closeCalls().length).toBeLessThan(closes / 2);

    children.push(await startChildApp(env));
    await slack.waitFor(() => d3.closeCalls().length >= closes, 40_000);

    for (let i = 0; i < closes; i++) {
      const calls = d3.requests().filter((r) => JSON.stringify(r.body).includes(`"${number(i)}"`));
      const commands = calls.map((r) => r.command).filter((c) => c !== 'getIncidentStaticField');
      expect(commands, number(i)).toContain('SetIncidentFieldsInBulk');
      // The reason is set before the close (a taker-over may set it again after a close it finds done).
      expect(commands.indexOf('SetIncidentFieldsInBulk'), number(i)).toBeLessThan(commands.indexOf('CloseIncident'));
      expect(
        commands.filter((c) => c === 'CloseIncident'),
        number(i),
      ).toHaveLength(1);
      const fields = calls.find((r) => r.command === 'SetIncidentFieldsInBulk');
      expect(JSON.stringify(fields?.body)).toContain('False Positive');
      const close = calls.find((r) => r.command === 'CloseIncident');
      expect(close?.body, number(i)).toMatchObject({ CommandParams: { 'Incident Note': `benign scanner ${i}` } });
    }
  }, 60_000);
});
