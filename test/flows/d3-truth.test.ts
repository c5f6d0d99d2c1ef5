import { afterEach, describe, expect, it } from 'vitest';
import { d3Date, type FakeD3, fixture, startFakeD3 } from '../support/fake-d3.ts';
import { d3Key, defaultUserMap, type Harness, type HarnessOptions, startHarness } from '../support/harness.ts';

const N = '20200526-23';
const FIVE_DAYS = 5 * 24 * 3_600_000;

/** D3's state sample, closed by Jordan Vale at `dateClosed`. */
const closedByJordan = (dateClosed: string) => {
  const body = JSON.parse(fixture('state-closed.json'));
  body.returnData.Data.DateClosed = dateClosed;
  return body;
};

describe('telling the analyst the truth about a closure', () => {
  let h: Harness | undefined;
  let ownD3: FakeD3 | undefined;
  afterEach(async () => {
    await h?.stop();
    await ownD3?.stop();
    h = undefined;
    ownD3 = undefined;
  });

  // A D3 call gives up after at most three D3 timeouts (900 ms here); delayed replies come later.
  const start = async (o: HarnessOptions = {}) => {
    h = await startHarness({ ...o, env: { D3_TIMEOUT_MS: '300', D3_RETRY_DEADLINE_MS: '1500', ...o.env } });
    return h;
  };
  const told = async (app: Harness) => {
    await app.slack.waitFor(() => app.slack.responses().length === 1, 8000);
    return (app.slack.responses().at(-1) as { text: string }).text;
  };
  const audits = (app: Harness) =>
    app
      .logs()
      .split('\n')
      .filter((l) => l.includes('"audit"'))
      .map((l) => (JSON.parse(l) as { audit: { outcome: string; code: string | null } }).audit);
  const stateCalls = (app: Harness) => app.d3.requests().filter((r) => r.command === 'getIncidentStaticField');

  describe('only a proven success is a closure', () => {
    it.each([
      ['Incident not found', { error: '', returnData: 'Incident not found' }, '“Incident not found” '],
      ['Permission denied', { error: '', returnData: 'Permission denied' }, '“Permission denied” '],
      [
        'Not closed: pending required tasks',
        { error: '', returnData: 'Not closed: pending required tasks' },
        '“Not closed: pending required tasks” ',
      ],
      ['Queued', { error: '', returnData: 'Queued' }, '“Queued” '],
      ['a null returnData', { error: '', returnData: null }, ''],
      ['no returnData', { error: '' }, ''],
    ])('announces nothing for a 200 saying %s, and tells the analyst D3 shows it still open', async (_w, body, q) => {
      const app = await start();
      app.d3.script('close', { body });
      await app.command({ text: `${N} False positive` });

      expect(await told(app)).toBe(
        `D3 answered ${q}to the request to close ${N}, and D3 shows it still open, so it is not closed and nothing was posted. Check the incident in D3 (required tasks, your rights on it) before trying again.`,
      );
      expect(app.d3.closeCalls()).toHaveLength(1);
      expect(stateCalls(app)).toHaveLength(1);
      expect(app.slack.calls('chat.postMessage')).toHaveLength(0);
      expect(audits(app)).toEqual([expect.objectContaining({ outcome: 'failed', code: 'd3_still_open' })]);
    });

    it('tells D3’s words and that the state check failed when it cannot read the state', async () => {
      const app = await start();
      app.d3.script('close', { body: { error: '', returnData: 'Queued' } });
      app.d3.script('state', { status: 401, fixture: '401.json' });
      await app.command({ text: `${N} False positive` });

      expect(await told(app)).toBe(
        `D3 answered “Queued” to the request to close ${N}, which does not confirm a closure, and the bot could not read the incident's state to find out. Check ${N} in D3 before trying again.`,
      );
      expect(app.d3.closeCalls()).toHaveLength(1);
      expect(app.slack.calls('chat.postMessage')).toHaveLength(0);
      expect(audits(app)).toEqual([expect.objectContaining({ outcome: 'unknown', code: 'd3_outcome_unknown' })]);
    });
  });

  describe('closed in D3 is not closed by us', () => {
    it('announces a timed-out close that D3 made, dated after the first call and closed by the user it acted as', async () => {
      const app = await start();
      app.d3.script('close', { delayMs: 1_500 });
      await app.command({ text: `${N} False positive` });

      expect(await told(app)).toContain(`Closed ${N} in D3 as jdoe`);
      expect(app.d3.closeCalls()).toHaveLength(1);
      expect(app.slack.calls('chat.postMessage')).toHaveLength(1);
      expect(audits(app)).toEqual([expect.objectContaining({ outcome: 'closed' })]);
    });

    it('names who closed it five days ago instead of posting it as this analyst’s closure', async () => {
      const app = await start();
      const then = d3Date.zoneless(new Date(Date.now() - FIVE_DAYS));
      app.d3.incidents.set(N, { status: 'Closed', closedBy: 'Pat Lee', dateClosed: then });
      app.d3.script('close', { delayMs: 1_500 });
      await app.command({ text: `${N} closing it again` });

      expect(await told(app)).toBe(
        `D3 shows ${N} closed by Pat Lee on ${then}; your note was not added. Nothing was posted in the channel; if ${N} should be open, reopen it in D3.`,
      );
      expect(app.slack.calls('chat.postMessage')).toHaveLength(0);
      expect(audits(app)).toEqual([expect.objectContaining({ outcome: 'closed_by_other', code: null })]);
      const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
      expect(metrics).toContain('close_incident_closures_total{outcome="closed_by_other",code=""} 1');
    });

    it('names another person D3 shows closing it just now, when the analyst’s D3 display name is known', async () => {
      const app = await start({
        userMap: defaultUserMap.replace('{ username: jdoe }', '{ username: jdoe, displayName: Jane Doe }'),
      });
      app.d3.script('close', { delayMs: 1_500, acts: false });
      app.d3.script('state', { fixture: 'state-closed.json' });
      await app.command({ text: `${N} False positive` });

      expect(await told(app)).toBe(
        `D3 shows ${N} closed by Jordan Vale on 2020-05-26 17:07:10; your note was not added. Nothing was posted in the channel; if ${N} should be open, reopen it in D3.`,
      );
      expect(app.slack.calls('chat.postMessage')).toHaveLength(0);
    });

    it('recognises the analyst by the D3 display name in the user map', async () => {
      const app = await start({
        userMap: defaultUserMap.replace('{ username: jdoe }', '{ username: jdoe, displayName: Jordan Vale }'),
      });
      app.d3.script('close', { delayMs: 1_500 });
      const now = d3Date.chinaStandardTime(new Date());
      app.d3.script('state', { body: closedByJordan(now) });
      await app.command({ text: `${N} False positive` });

      expect(await told(app)).toContain(`Closed ${N} in D3 as jdoe`);
      expect(app.slack.calls('chat.postMessage')).toHaveLength(1);
    });

    it('says what D3 shows but claims nothing when D3 names someone the bot cannot tell from the analyst', async () => {
      const app = await start();
      app.d3.script('close', { delayMs: 1_500 });
      const now = d3Date.chinaStandardTime(new Date());
      app.d3.script('state', { body: closedByJordan(now) });
      await app.command({ text: `${N} False positive` });

      expect(await told(app)).toBe(
        `D3 shows ${N} closed by Jordan Vale on ${now}, but the bot cannot confirm that your request closed it, so nothing was posted in the channel. Check the incident's notes in D3 for your note, and add it there if it is missing.`,
      );
      expect(app.slack.calls('chat.postMessage')).toHaveLength(0);
      expect(audits(app)).toEqual([expect.objectContaining({ outcome: 'closed_unconfirmed', code: null })]);
    });

    it('reads a DateClosed without a zone only in D3_TIMEZONE', async () => {
      ownD3 = await startFakeD3({ apiKey: d3Key, dateFormat: (at) => d3Date.zoneless(at, 8 * 60) });
      const unset = await start({ d3: ownD3 });
      ownD3.script('close', { delayMs: 1_500 });
      await unset.command({ text: `${N} False positive` });
      expect(await told(unset)).toMatch(/^D3 shows 20200526-23 closed by jdoe on .*, but the bot cannot confirm/);
      expect(unset.slack.calls('chat.postMessage')).toHaveLength(0);
      await unset.stop({ keepFakes: true });
      await unset.slack.stop();
      h = undefined;

      ownD3.incidents.clear();
      const set = await start({ d3: ownD3, env: { D3_TIMEZONE: 'Asia/Shanghai' } });
      ownD3.script('close', { delayMs: 1_500 });
      await set.command({ text: `${N} False positive` });
      expect(await told(set)).toContain(`Closed ${N} in D3 as jdoe`);
      expect(set.slack.calls('chat.postMessage')).toHaveLength(1);
    });

    it('does not announce one closure twice when a second close of it times out moments later', async () => {
      const app = await start();
      await app.command({ text: `${N} False positive`, response_url: app.slack.responseUrl('first') });
      await app.slack.waitFor(() => app.slack.responses('first').length === 1);
      app.d3.script('close', { delayMs: 1_500 });
      await app.command({ text: `${N} once more`, response_url: app.slack.responseUrl('second') });
      await app.slack.waitFor(() => app.slack.responses('second').length === 1, 8000);

      expect(app.slack.calls('chat.postMessage')).toHaveLength(1);
      expect((app.slack.responses('second')[0] as { text: string }).text).toMatch(
        /^D3 shows 20200526-23 closed by jdoe on .*, but the bot cannot confirm that your request closed it/,
      );
    });
  });

  describe('our own late success is not "nothing changed"', () => {
    it('announces the close when the first call landed late and the second finds it already closed', async () => {
      const app = await start();
      app.d3.script('close', { delayMs: 1_500 });
      app.d3.script('state', { fixture: 'state-open.json' });
      await app.command({ text: `${N} False positive` });

      const text = await told(app);
      expect(text).toContain(`Closed ${N} in D3 as jdoe`);
      expect(text).not.toContain('nothing changed');
      expect(app.d3.closeCalls()).toHaveLength(2);
      expect(app.slack.calls('chat.postMessage')).toHaveLength(1);
      expect(audits(app)).toEqual([expect.objectContaining({ outcome: 'closed' })]);
    });
  });
});
