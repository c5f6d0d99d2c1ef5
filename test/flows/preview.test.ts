import { afterEach, describe, expect, it } from 'vitest';
import { createButtonSealer } from '../../src/slack/button-value.ts';
import { blockActionBody } from '../support/block-actions.ts';
import { botToken, type Harness, startHarness } from '../support/harness.ts';

const SITE = 'Security Operations';
const URL_TEMPLATE = 'https://soar.example.com/Prod/VSOC/Incident/{number}';

describe('seeing an incident before closing it', () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });
  const start = async (env: Record<string, string> = {}) => {
    h = await startHarness({ env: { D3_PREVIEW: 'true', ...env } });
  };
  const told = async (n = 1) => {
    await h.slack.waitFor(() => h.slack.responses().length >= n, 8000);
    return JSON.stringify(h.slack.responses()[n - 1]);
  };
  const audits = () =>
    h
      .logs()
      .split('\n')
      .filter((l) => l.includes('"audit"'))
      .map((l) => (JSON.parse(l) as { audit: Record<string, unknown> }).audit);

  it('tells the analyst who closed it and when, and sends no close, when the preview shows it closed', async () => {
    await start();
    h.d3.incidents.set('20200526-23', {
      status: 'Closed',
      closedBy: 'Pat Lee',
      dateClosed: '2020-05-20 08:15:00',
      site: SITE,
    });
    await h.command({ text: '20200526-23 closing it again' });
    const text = await told();
    expect(text).toContain('20200526-23 was already closed in D3 (by Pat Lee on 2020-05-20 08:15:00)');
    expect(h.d3.callsOf('state')).toHaveLength(1);
    expect(h.d3.closeCalls()).toHaveLength(0);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
    expect(audits()).toEqual([expect.objectContaining({ outcome: 'already_closed' })]);
  });

  it('refuses an incident of another site, naming both sites, and sends no close', async () => {
    await start();
    h.d3.incidents.set('20200526-23', { status: 'Open', site: 'Client B' });
    await h.command({ text: '20200526-23 benign scanner' });
    const text = await told();
    expect(text).toContain('Client B');
    expect(text).toContain(SITE);
    expect(text).toContain('was not closed');
    expect(h.d3.closeCalls()).toHaveLength(0);
    expect(audits()).toEqual([expect.objectContaining({ outcome: 'refused', code: 'incident_other_site' })]);
  });

  it('puts the title and severity in the summary (sites compared ignoring case and spaces)', async () => {
    await start();
    h.d3.incidents.set('20200526-23', {
      status: 'Open',
      site: ' security operations ',
      title: 'Suspicious PowerShell on WS-0193',
      severity: 'High',
    });
    await h.command({ text: '20200526-23 benign scanner' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1, 8000);
    const summary = JSON.stringify(h.slack.calls('chat.postMessage')[0]!.args);
    expect(summary).toContain('Suspicious PowerShell on WS-0193');
    expect(summary).toContain('*Severity*\\nHigh');
    expect(h.d3.requests().map((r) => r.command)).toEqual(['getIncidentStaticField', 'CloseIncident']);
  });

  it('closes anyway when the preview fails, and warns the operator once over several closes', async () => {
    await start();
    h.d3.script(
      'state',
      { status: 500, body: { Error: 'boom' } },
      { status: 500, body: { Error: 'boom' } },
      { status: 500, body: { Error: 'boom' } },
    );
    for (const n of ['20200526-31', '20200526-32', '20200526-33']) {
      await h.command({ text: `${n} benign scanner` });
    }
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 3, 8000);
    expect(h.d3.closeCalls()).toHaveLength(3);
    expect(h.d3.callsOf('state')).toHaveLength(3);
    expect(h.logs().match(/incident preview \(getIncidentStaticField\) failed/g)).toHaveLength(1);
  });

  it('reads nothing before a close when D3_PREVIEW=false, where the same close is refused with it on', async () => {
    await start();
    h.d3.incidents.set('20200526-23', { status: 'Open', site: 'Client B' });
    await h.command({ text: '20200526-23 benign scanner' });
    expect(await told()).toContain('Client B');
    expect(h.d3.requests().map((r) => r.command)).toEqual(['getIncidentStaticField']);
    await h.stop();

    await start({ D3_PREVIEW: 'false' });
    h.d3.incidents.set('20200526-23', { status: 'Open', site: 'Client B' });
    await h.command({ text: '20200526-23 benign scanner' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1, 8000);
    expect(h.d3.requests().map((r) => r.command)).toEqual(['CloseIncident']);
  });

  it('shows the preview in the modal as a number is typed (views.update with the view hash, metadata unchanged)', async () => {
    await start();
    h.d3.incidents.set('20200526-23', {
      status: 'Open',
      site: SITE,
      title: 'Suspicious PowerShell on WS-0193',
      severity: 'High',
    });
    const res = await h.raw(
      blockActionBody('block-actions-modal-input.json', { value: '20200526-23', privateMetadata: 'sealed-as-sent' }),
    );
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('views.update').length === 1, 8000);
    const args = h.slack.calls('views.update')[0]!.args as {
      view_id: string;
      hash: string;
      view: Record<string, unknown>;
    };
    expect(args.view_id).toBe('V1234');
    expect(args.hash).toBe('1590490000.aBcD1234');
    expect(args.view.private_metadata).toBe('sealed-as-sent');
    const view = JSON.stringify(args.view);
    for (const word of [
      'Suspicious PowerShell on WS-0193',
      'High',
      'Open',
      'Jordan Vale',
      SITE,
      'Malware',
      '2020-05-26 09:12:44',
    ])
      expect(view).toContain(word);
    expect(h.d3.closeCalls()).toHaveLength(0);
  });

  it('flags an unknown and an already closed incident in the modal, one line per number', async () => {
    await start();
    h.d3.incidents.set('20200526-99', { status: 'Open', missing: true });
    h.d3.incidents.set('20200526-24', {
      status: 'Closed',
      closedBy: 'Pat Lee',
      dateClosed: '2020-05-20 08:15:00',
      site: SITE,
    });
    await h.raw(blockActionBody('block-actions-modal-input.json', { value: '20200526-99\n20200526-24' }));
    await h.slack.waitFor(() => h.slack.calls('views.update').length === 1, 8000);
    const view = JSON.stringify(h.slack.calls('views.update')[0]!.args.view);
    expect(view).toContain('D3 does not show 20200526-99');
    expect(view).toContain('20200526-24 is already closed by Pat Lee on 2020-05-20 08:15:00');
  });

  describe('with CONFIRM_BEFORE_CLOSE=true', () => {
    const card = async () => {
      await h.command({ text: '20200526-23 benign scanner' });
      const shown = JSON.parse(await told()) as {
        blocks: Array<{ type: string; elements?: Array<Record<string, string>> }>;
      };
      const buttons = shown.blocks.flatMap((b) => b.elements ?? []);
      const value = (id: string) => buttons.find((b) => b.action_id === id)!.value!;
      return { shown, close: value('confirm_close'), cancel: value('cancel_close'), buttons };
    };
    const click = (value: string, actionId: string, id: string) =>
      h.raw(blockActionBody('block-actions-confirm.json', { value, actionId, responseUrl: h.slack.responseUrl(id) }));
    const clickReply = async (id: string) => {
      await h.slack.waitFor(() => h.slack.responses(id).length === 1, 8000);
      return h.slack.responses(id)[0] as { text: string; replace_original?: boolean };
    };

    it('answers with a preview card and closes only on Close, once; a second click says it was used', async () => {
      await start({ CONFIRM_BEFORE_CLOSE: 'true', D3_INCIDENT_URL_TEMPLATE: URL_TEMPLATE });
      h.d3.incidents.set('20200526-23', {
        status: 'Open',
        site: SITE,
        title: 'Suspicious PowerShell on WS-0193',
        severity: 'High',
      });
      const c = await card();
      expect(JSON.stringify(c.shown)).toContain('Suspicious PowerShell on WS-0193');
      expect(JSON.stringify(c.shown)).toContain('benign scanner');
      expect(c.buttons.find((b) => b.action_id === 'open_in_d3')?.url).toBe(
        'https://soar.example.com/Prod/VSOC/Incident/20200526-23',
      );
      expect(h.d3.closeCalls()).toHaveLength(0);

      await click(c.close, 'confirm_close', 'first');
      const first = await clickReply('first');
      expect(first.replace_original).toBe(true);
      expect(first.text).toContain('Closed 20200526-23 in D3');
      expect(h.d3.closeCalls()).toHaveLength(1);

      await click(c.close, 'confirm_close', 'second');
      expect((await clickReply('second')).text).toContain('already used');
      expect(h.d3.closeCalls()).toHaveLength(1);
    });

    it('closes nothing on Cancel, and the Close button does nothing after it', async () => {
      await start({ CONFIRM_BEFORE_CLOSE: 'true' });
      const c = await card();
      await click(c.cancel, 'cancel_close', 'cancel');
      expect((await clickReply('cancel')).text).toContain('Cancelled');
      await click(c.close, 'confirm_close', 'late');
      expect((await clickReply('late')).text).toContain('already used');
      expect(h.d3.closeCalls()).toHaveLength(0);
    });

    it('says a button older than 10 minutes has expired and closes nothing', async () => {
      await start({ CONFIRM_BEFORE_CLOSE: 'true' });
      await card();
      const old = createButtonSealer(botToken).seal({
        id: 'any',
        n: '20200526-23',
        user: 'U1234',
        exp: Date.now() - 1000,
        action: 'close',
      });
      await click(old, 'confirm_close', 'old');
      expect((await clickReply('old')).text).toContain('older than 10 minutes');
      expect(h.d3.closeCalls()).toHaveLength(0);
    });

    it('refuses a forged button value', async () => {
      await start({ CONFIRM_BEFORE_CLOSE: 'true' });
      const c = await card();
      await click(c.close.replace(/"s":"./, '"s":"x'), 'confirm_close', 'forged');
      expect((await clickReply('forged')).text).toContain('was not closed');
      expect(h.d3.closeCalls()).toHaveLength(0);
    });
  });

  it('adds an "Open in D3" link button to the summary when D3_INCIDENT_URL_TEMPLATE is set', async () => {
    await start({ D3_INCIDENT_URL_TEMPLATE: URL_TEMPLATE });
    h.d3.incidents.set('20200526-23', { status: 'Open', site: SITE });
    await h.command({ text: '20200526-23 benign scanner' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1, 8000);
    const blocks = h.slack.calls('chat.postMessage')[0]!.args.blocks as Array<{ elements?: Array<{ url?: string }> }>;
    const urls = blocks.flatMap((b) => b.elements ?? []).map((e) => e.url);
    expect(urls).toContain('https://soar.example.com/Prod/VSOC/Incident/20200526-23');
  });
});
