import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChildApp, startChildApp } from '../support/child-app.ts';
import { type FakeD3, startFakeD3 } from '../support/fake-d3.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { slashCommandBody } from '../support/fixtures.ts';
import {
  botToken,
  d3Key,
  defaultUserMap,
  type Harness,
  harnessEnv,
  signingSecret,
  startHarness,
} from '../support/harness.ts';
import { postSigned } from '../support/sign.ts';

const marker = 'quokka7731';
const noteKey = 'process-note-key-fedcba9876543210-fedcba98';
const note = `Analyst remark ${marker}: user mailbox forwarded to attacker, password reset done`;
const auditKeys = [
  'requestId',
  'slackUserId',
  'slackTeamId',
  'd3Username',
  'site',
  'incidentNumber',
  'noteLength',
  'noteHmac',
  'outcome',
  'd3LatencyMs',
];

type Audit = Record<string, unknown>;

describe('what the app logs about close attempts', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const entries = () =>
    h
      .logs()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { level: number; audit?: Audit });
  const audits = () => entries().flatMap((e) => (e.audit ? [e.audit] : []));
  const closeAndWait = async (patch: Record<string, string>, responses: number) => {
    await h.command(patch);
    await h.slack.waitFor(() => h.slack.responses().length === responses, 8000);
  };

  it('keeps secrets and the note out of the logs and writes one audit line per attempt', async () => {
    await closeAndWait({ text: `20200526-23 ${note}` }, 1);
    h.d3.script('close', { status: 401, fixture: '401.json' });
    await closeAndWait({ user_id: 'U5678', text: `20200526-24 ${note}` }, 2);
    await closeAndWait({ user_id: 'U0UNMAPPED', text: `20200526-25 ${note}` }, 3);
    h.slack.script('chat.postMessage', { status: 500 }, { status: 500 }, { status: 500 });
    await closeAndWait({ text: `20200526-26 ${note}` }, 4);
    const forged = await h.raw('token=x&text=20200526-27', { secret: 'not-the-signing-secret' });
    expect(forged.status).toBe(401);

    const logs = h.logs();
    expect(logs).toContain('close attempt');
    for (const secret of [botToken, signingSecret, d3Key, h.env.D3_API_KEY!, marker]) {
      expect(logs).not.toContain(secret);
    }
    expect(entries().every((e) => e.level >= 30)).toBe(true);

    const lines = audits();
    expect(lines.map((a) => [a.incidentNumber, a.outcome])).toEqual([
      ['20200526-23', 'closed'],
      ['20200526-24', 'failed'],
      ['20200526-25', 'refused'],
      ['20200526-26', 'closed'],
    ]);
    for (const a of lines) expect(Object.keys(a)).toEqual(expect.arrayContaining(auditKeys));
    expect(new Set(lines.map((a) => a.requestId)).size).toBe(4);
    const sha = createHash('sha256').update(note).digest('hex');
    expect(logs).not.toContain(sha);
    for (const a of lines) expect(a).toMatchObject({ noteLength: note.length, noteHmac: null, slackTeamId: 'T1234' });

    const [closed, unauthorized, refused] = lines;
    expect(closed).toMatchObject({ slackUserId: 'U1234', d3Username: 'jdoe', site: 'Security Operations' });
    expect(closed?.d3LatencyMs).toEqual(expect.any(Number));
    expect(unauthorized).toMatchObject({ slackUserId: 'U5678', d3Username: 'asmith', site: 'Client A' });
    expect(unauthorized).toMatchObject({ code: 'd3_unauthorized', d3LatencyMs: expect.any(Number) });
    expect(refused).toMatchObject({ slackUserId: 'U0UNMAPPED', code: 'user_unmapped' });
    expect(refused).toMatchObject({ d3Username: null, site: null, d3LatencyMs: null });
  });
});

describe('the note fingerprint in audit lines and records', () => {
  const key = 'audit-note-key-0123456789abcdef-0123456789';
  const short = 'False positive';
  const sha256 = createHash('sha256').update(short).digest('hex');
  let dir: string;
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const closeAndRead = async (env: Record<string, string>) => {
    dir = mkdtempSync(join(tmpdir(), 'close-incident-hmac-'));
    h = await startHarness({ env: { STORE_URL: `sqlite://${join(dir, 'db.sqlite')}`, ...env } });
    await h.command({ text: `20200526-23 ${short}` });
    await h.slack.waitFor(() => h!.slack.responses().length === 1, 8000);
    const logs = h.logs();
    await h.stop();
    h = undefined;
    const stored = readdirSync(dir)
      .map((f) => readFileSync(join(dir, f)).toString('latin1'))
      .join('');
    const line = logs.split('\n').find((l) => l.includes('"audit"'));
    return { logs, stored, audit: (JSON.parse(line!) as { audit: Audit }).audit };
  };

  it('is an HMAC under AUDIT_NOTE_KEY, never the plain SHA-256 of the note, and the key is never logged', async () => {
    const { logs, stored, audit } = await closeAndRead({ AUDIT_NOTE_KEY: key });
    const hmac = createHmac('sha256', key).update(short).digest('hex');
    expect(audit).toMatchObject({ outcome: 'closed', noteLength: short.length, noteHmac: hmac });
    expect(stored).toContain(hmac);
    for (const text of [logs, stored]) {
      expect(text).not.toContain(sha256);
      expect(text).not.toContain(key);
    }
  });

  it('is left out entirely when no key is configured', async () => {
    const { logs, stored, audit } = await closeAndRead({});
    expect(audit).toMatchObject({ outcome: 'closed', noteLength: short.length, noteHmac: null });
    expect(stored).toContain('20200526-23');
    for (const text of [logs, stored]) expect(text).not.toContain(sha256);
    expect(stored).not.toMatch(/"note\w*":"[0-9a-f]{64}"/);
  });
});

describe('everything the process prints', () => {
  let d3: FakeD3;
  let slack: FakeSlack;
  let child: ChildApp | undefined;
  beforeEach(async () => {
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken });
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    await child?.exited;
    await Promise.all([d3.stop(), slack.stop()]);
  });

  it.each(['info', 'debug'])('holds no token, signing secret or D3 key at %s level', async (level) => {
    const dir = mkdtempSync(join(tmpdir(), 'close-incident-logs-'));
    const userMapFile = join(dir, 'users.yml');
    writeFileSync(userMapFile, defaultUserMap);
    child = await startChildApp(
      harnessEnv({ d3Url: d3.url, slackApiUrl: slack.apiUrl, userMapFile, LOG_LEVEL: level, AUDIT_NOTE_KEY: noteKey }),
    );
    const send = (text: string, user_id = 'U1234') =>
      postSigned(
        child!.eventsUrl,
        slashCommandBody('close-command.form', { text, user_id, response_url: slack.responseUrl(), trigger_id: text }),
        { secret: signingSecret },
      );
    await send(`20200526-23 ${note}`);
    d3.script('close', { status: 401, fixture: '401.json' });
    await send(`20200526-24 ${note}`);
    slack.script('chat.postMessage', { status: 500 }, { status: 500 }, { status: 500 });
    await send(`20200526-26 ${note}`);
    await send(`20200526-25 ${note}`, 'U0UNMAPPED');
    await slack.waitFor(() => slack.responses().length === 4, 8000);
    child.kill('SIGTERM');
    expect(await child.exited).toBe(0);

    const out = child.output();
    expect(out).toContain('close attempt');
    for (const secret of [botToken, signingSecret, d3Key, noteKey]) expect(out).not.toContain(secret);
    if (level === 'info') expect(out).not.toContain(marker);
  });
});
