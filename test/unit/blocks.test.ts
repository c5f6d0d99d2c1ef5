import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditRecord, Closure } from '../../src/domain/types.ts';
import { ids } from '../../src/ids.ts';
import { historyMessage } from '../../src/slack/render/history.ts';
import { closeModal } from '../../src/slack/render/modal.ts';
import { closingNotice, helpMessage, mappingChangedMessage, whoamiMessage } from '../../src/slack/render/replies.ts';
import { closureSummary } from '../../src/slack/render/summary.ts';

const closure = (over: Partial<Closure> = {}): Closure => ({
  incidentNumber: '20200526-23',
  closedBy: 'Jane Doe',
  closeType: 'False Positive',
  closeDate: '05/26/2020 10:11:12',
  site: 'Security Operations',
  note: 'Reimaged WS-0193',
  ...over,
});

const summary = (c: Closure) => closureSummary({ closure: c, slackUserId: 'U1234', d3Username: 'jdoe' });

type TextObject = { type: string; text: string; verbatim?: boolean };
type AnyBlock = { type: string; text?: TextObject; fields?: TextObject[]; elements?: TextObject[] };

const textsOf = (blocks: unknown[]): TextObject[] =>
  (blocks as AnyBlock[]).flatMap((b) => [...(b.text ? [b.text] : []), ...(b.fields ?? []), ...(b.elements ?? [])]);

/** Everything Slack could read as markup, once our own closer mention is taken out. */
const markupLeft = (json: string): string[] => json.replaceAll('<@U1234>', '').match(/<[^>]*>?/g) ?? [];

const hostile = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U999>',
  '<#C999|ops>',
  '<!subteam^S1|@sec>',
  '<https://evil.example|ok>',
  '@channel @here',
  '&lt;!channel&gt;',
  '`rm -rf` ```block```',
  '*bold* _italic_ ~strike~',
];

describe('closureSummary', () => {
  it('shows the close date as a Slack date token with D3’s text as the fallback, where the instant is certain', () => {
    const c = { incidentNumber: '20200526-23', site: 'SOC', note: 'n', closeDate: '2020-05-26 17:07' };
    const zoned = closureSummary({ closure: c, slackUserId: 'U1234', d3Username: 'jdoe', timeZone: 'Asia/Shanghai' });
    const token = '<!date^1590484020^{date_short_pretty} {time}|2020-05-26 17:07>';
    expect(JSON.stringify(zoned.blocks)).toContain(token);
    expect(zoned.text).toContain(token);
    // Without D3_TIMEZONE a date without a zone is no single instant: D3's text as it came.
    const plainDate = closureSummary({ closure: c, slackUserId: 'U1234', d3Username: 'jdoe' });
    expect(JSON.stringify(plainDate.blocks)).not.toContain('<!date');
    expect(plainDate.text).toContain('Close date: 2020-05-26 17:07.');
  });

  it('shows the closure with our mention and D3’s values', () => {
    const { text, blocks } = summary(closure());
    expect(blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Incident 20200526-23 closed', emoji: true },
    });
    const fields = (blocks[1] as AnyBlock).fields?.map((f) => f.text);
    expect(fields).toEqual([
      '*Closed in Slack by*\n<@U1234>',
      '*Closed in D3 by*\nJane Doe',
      '*Close type*\nFalse Positive',
      '*Close date*\n05/26/2020 10:11:12',
      '*Site*\nSecurity Operations',
    ]);
    expect(textsOf(blocks)).toContainEqual({ type: 'plain_text', text: 'Reimaged WS-0193', emoji: true });
    for (const part of [
      '20200526-23',
      '<@U1234>',
      'Jane Doe',
      'False Positive',
      '05/26/2020',
      'Security Operations',
      'Reimaged',
    ]) {
      expect(text).toContain(part);
    }
  });

  it('falls back to the D3 username and says when D3 gave only part of the details', () => {
    const { blocks, text } = summary(closure({ closedBy: undefined, closeType: undefined, partial: true }));
    expect(JSON.stringify(blocks)).toContain('*Closed in D3 by*\\njdoe');
    expect(JSON.stringify(blocks)).toContain('*Close type*\\n—');
    expect(blocks.at(-1)).toMatchObject({
      type: 'context',
      elements: [{ text: expect.stringMatching(/did not return all/) }],
    });
    expect(text).toContain('jdoe');
  });

  it('does not claim the Slack user closed an incident D3 had already closed', () => {
    const { blocks, text } = summary(closure({ alreadyClosed: true }));
    expect(JSON.stringify(blocks)).toContain('Incident 20200526-23 was already closed');
    expect(JSON.stringify(blocks)).toContain('*Requested in Slack by*');
    expect(text).toContain('Requested in Slack by <@U1234>');
  });

  it('has no context line when D3 gave everything', () => {
    expect(summary(closure()).blocks.some((b) => b.type === 'context')).toBe(false);
  });

  it('says so when there is no note', () => {
    const { blocks, text } = summary(closure({ note: '' }));
    expect(JSON.stringify(blocks)).toContain('No note was given');
    expect(text).toContain('Note: none');
  });

  it.each(hostile)('shows %j literally and inertly', (note) => {
    const msg = summary(closure({ note: `before ${note} after` }));
    expect(markupLeft(JSON.stringify(msg))).toEqual([]);
    expect(msg.text).not.toMatch(/@(channel|here|everyone)/);
    const noteTexts = textsOf(msg.blocks).filter((t) => t.type === 'plain_text' && t.text.startsWith('before'));
    expect(noteTexts).toHaveLength(1);
  });

  it('keeps formatting characters as typed in the note', () => {
    const note = '`code` *bold* _it_ ~strike~';
    const msg = summary(closure({ note }));
    expect(textsOf(msg.blocks)).toContainEqual({ type: 'plain_text', text: note, emoji: true });
  });

  it('escapes markup in every value D3 returned', () => {
    const evil = '<!channel> <https://evil.example|x>';
    const msg = summary(
      closure({ incidentNumber: evil, closedBy: evil, closeType: evil, closeDate: evil, site: evil, note: evil }),
    );
    expect(markupLeft(JSON.stringify(msg))).toEqual([]);
  });

  it('uses our mention only for a real user id', () => {
    const msg = closureSummary({ closure: closure(), slackUserId: '<!channel>', d3Username: 'jdoe' });
    expect(JSON.stringify(msg)).not.toContain('<');
  });

  it('keeps within Slack’s limits for the longest, most escaped note', () => {
    for (const note of ['&'.repeat(3000), `${'word '.repeat(600)}`, '😀'.repeat(1500), `${'x'.repeat(2999)}&`]) {
      const msg = summary(closure({ note, site: 's'.repeat(5000), incidentNumber: 'n'.repeat(200) }));
      expect(msg.blocks.length).toBeLessThanOrEqual(50);
      expect(JSON.stringify(msg.blocks).length).toBeLessThan(12_000);
      for (const t of textsOf(msg.blocks)) {
        expect(t.text.length).toBeGreaterThan(0);
        expect(t.text.length).toBeLessThanOrEqual(3000);
        expect(/\p{Surrogate}/u.test(t.text)).toBe(false);
      }
      const header = msg.blocks[0] as AnyBlock;
      expect(header.text?.text.length).toBeLessThanOrEqual(150);
      for (const f of (msg.blocks[1] as AnyBlock).fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
    }
  });

  it('cuts an over-long note with a pointer to D3', () => {
    const msg = summary(closure({ note: '&'.repeat(3000) }));
    expect(JSON.stringify(msg.blocks)).toContain('… (full note in D3)');
    expect(msg.text).toContain('… (full note in D3)');
  });

  it('splits a long note across sections without losing any of it', () => {
    const note = Array.from({ length: 300 }, (_, i) => `line ${i} &`).join('\n');
    const msg = summary(closure({ note }));
    const pieces = textsOf(msg.blocks).filter((t) => t.type === 'plain_text' && t !== (msg.blocks[0] as AnyBlock).text);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.map((p) => p.text).join('')).toBe(note.replaceAll('&', '&amp;'));
  });

  it('never lets any note become markup', () => {
    const noteArb = fc
      .array(fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom(...hostile, '<', '>', '&', '|', '@', '\n')))
      .map((p) => p.join(''));
    fc.assert(
      fc.property(noteArb, (note) => {
        const json = JSON.stringify(summary(closure({ note })));
        expect(json).not.toContain('<!');
        expect(json).not.toContain('<http');
        expect(json.replaceAll('<@U1234>', '')).not.toContain('<@');
        expect(markupLeft(json)).toEqual([]);
      }),
    );
  });
});

describe('closeModal', () => {
  it('builds the close form with stable ids and the metadata', () => {
    const view = closeModal({ privateMetadata: '{"channel":"C1234"}', noteRequired: true });
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: ids.closeModal,
      private_metadata: '{"channel":"C1234"}',
      title: { type: 'plain_text', text: 'Close incident' },
      submit: { type: 'plain_text', text: 'Close incident' },
      close: { type: 'plain_text', text: 'Cancel' },
      blocks: [
        {
          type: 'input',
          block_id: ids.incidentBlock,
          // One number per line (bulk), and a preview as they are typed (dispatch_action → views.update).
          dispatch_action: true,
          element: { type: 'plain_text_input', action_id: ids.incidentInput, multiline: true, max_length: 3000 },
        },
        {
          type: 'input',
          block_id: ids.noteBlock,
          element: { type: 'plain_text_input', action_id: ids.noteInput, multiline: true, max_length: 3000 },
        },
      ],
    });
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    expect(view.submit?.text.length).toBeLessThanOrEqual(24);
    expect(JSON.stringify(view)).not.toContain('initial_value');
    expect(view.blocks[1]).not.toHaveProperty('optional');
  });

  it('pre-fills what the command gave and makes the note optional when notes are', () => {
    const view = closeModal({
      incidentNumber: '20200526-23',
      note: 'a & b <c>',
      privateMetadata: '{}',
      noteRequired: false,
    });
    expect(view.blocks[0]).toMatchObject({ element: { initial_value: '20200526-23' } });
    expect(view.blocks[1]).toMatchObject({ optional: true, element: { initial_value: 'a & b <c>' } });
  });
});

describe('closingNotice', () => {
  it('names the incident, escaped', () => {
    expect(closingNotice('20200526-23')).toBe('Closing 20200526-23…');
    expect(closingNotice('<!here>')).not.toContain('<');
  });
});

describe('helpMessage', () => {
  it('explains every form of the command, with admin forms only for admins', () => {
    const user = helpMessage({ noteRequired: true, isAdmin: false }).text;
    for (const part of ['&lt;number&gt; &lt;note&gt;', 'whoami', 'history &lt;number&gt;', 'help', 'digit', '64']) {
      expect(user).toContain(part);
    }
    expect(user).not.toContain('map @user');
    const admin = helpMessage({ noteRequired: false, isAdmin: true }).text;
    expect(admin).toContain('map @user &lt;d3-username&gt; [site]');
    expect(admin).toContain('unmap @user');
    expect(admin).toContain('without a note');
    expect(markupLeft(admin)).toEqual([]);
  });

  it('leads with the reason the text was refused, escaped', () => {
    const text = helpMessage({ noteRequired: true, isAdmin: false, problem: 'found “<” in <!here>' }).text;
    expect(text.split('\n')[0]).toBe(':warning: found “&lt;” in &lt;!here&gt;');
  });
});

describe('whoamiMessage', () => {
  it.each([
    ['file', 'from the user map file'],
    ['override', 'set by an admin override'],
    ['email', 'matched by your Slack email'],
  ] as const)('names the D3 user, site and where the mapping came from (%s)', (source, words) => {
    const text = whoamiMessage(
      { slackUserId: 'U1234', username: 'jdoe', site: 'Security Operations', source },
      {},
    ).text;
    expect(text).toBe(`You act in D3 as *jdoe* on site *Security Operations* (${words}).`);
  });

  it('tells an unmapped user whom to ask', () => {
    expect(whoamiMessage(undefined, {}).text).toBe(
      'You are not mapped to a D3 user. Ask your Slack admin to add you to the user map.',
    );
    expect(whoamiMessage(undefined, { supportContact: '#soc-tooling' }).text).toContain('Ask #soc-tooling to add you');
  });

  it('escapes the values it shows', () => {
    const text = whoamiMessage({ slackUserId: 'U1', username: '<!here>', site: '@channel', source: 'file' }, {}).text;
    expect(markupLeft(text)).toEqual([]);
    expect(text).not.toMatch(/@channel/);
  });
});

describe('historyMessage', () => {
  const record = (over: Partial<AuditRecord>): AuditRecord => ({
    at: '2025-03-11T14:02:05.000Z',
    requestId: 'r1',
    incidentNumber: '20200526-23',
    slackUserId: 'U1234',
    d3Username: 'jdoe',
    noteLength: 42,
    noteHmac: 'x',
    outcome: 'closed',
    d3LatencyMs: 1234,
    ...over,
  });

  it('says when nothing was recorded', () => {
    expect(historyMessage('20200526-23', []).text).toBe('No close attempts recorded for 20200526-23.');
  });

  it('lists attempts newest first with who, as whom, outcome, note length and D3 latency', () => {
    const text = historyMessage('20200526-23', [
      record({ at: '2025-03-11T14:00:00Z', outcome: 'failed', code: 'd3_unavailable', d3LatencyMs: 15000 }),
      record({ at: '2025-03-11T14:05:00Z' }),
      record({
        at: '2025-03-11T13:00:00Z',
        outcome: 'refused',
        code: 'user_unmapped',
        d3Username: undefined,
        d3LatencyMs: undefined,
      }),
    ]).text;
    const lines = text.split('\n').slice(1);
    expect(lines).toEqual([
      '• <!date^1741701900^{date_short_pretty} {time}|2025-03-11 14:05:00 UTC> — <@U1234> as jdoe — closed — note 42 chars — D3 1.2 s',
      '• <!date^1741701600^{date_short_pretty} {time}|2025-03-11 14:00:00 UTC> — <@U1234> as jdoe — failed (d3_unavailable) — note 42 chars — D3 15.0 s',
      '• <!date^1741698000^{date_short_pretty} {time}|2025-03-11 13:00:00 UTC> — <@U1234> no D3 user — refused (user_unmapped) — note 42 chars — D3 not called',
    ]);
  });

  it('shows a close handed over at a restart as kept, not failed, under the taker-over’s closed line', () => {
    const text = historyMessage('20200526-23', [
      record({ at: '2025-03-11T14:00:00Z', outcome: 'handed_over', d3LatencyMs: undefined }),
      record({ at: '2025-03-11T14:00:02Z' }),
    ]).text;
    expect(text.split('\n').slice(1)).toEqual([
      '• <!date^1741701602^{date_short_pretty} {time}|2025-03-11 14:00:02 UTC> — <@U1234> as jdoe — closed — note 42 chars — D3 1.2 s',
      '• <!date^1741701600^{date_short_pretty} {time}|2025-03-11 14:00:00 UTC> — <@U1234> as jdoe — handed over at a restart — note 42 chars — kept for another instance or the restart',
    ]);
  });

  it('shows at most 20 attempts and counts the rest', () => {
    const records = Array.from({ length: 25 }, (_, i) =>
      record({ at: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString() }),
    );
    const lines = historyMessage('20200526-23', records).text.split('\n');
    expect(lines.filter((l) => l.startsWith('•'))).toHaveLength(20);
    expect(lines[1]).toContain('00:24:00');
    expect(lines.at(-1)).toBe('…and 5 older attempts not shown.');
  });

  it('escapes stored values', () => {
    const text = historyMessage('<!here>', [
      record({ slackUserId: '<!channel>', d3Username: '<@U9>', code: '<x>' }),
    ]).text;
    // Our own date token is the one markup allowed; its fallback is our UTC text.
    expect(markupLeft(text.replace(/<!date\^\d+\^\{date_short_pretty\} \{time\}\|[\d: -]+UTC>/g, ''))).toEqual([]);
  });
});

describe('mappingChangedMessage', () => {
  it('confirms a mapping with and without a site', () => {
    expect(mappingChangedMessage({ kind: 'map', slackUserId: 'U1234', username: 'jdoe', site: 'Client A' }).text).toBe(
      '<@U1234> now acts in D3 as *jdoe* on site *Client A*.',
    );
    expect(mappingChangedMessage({ kind: 'map', slackUserId: 'U1234', username: 'jdoe' }).text).toContain(
      'default site',
    );
  });

  it('confirms an unmapping', () => {
    expect(mappingChangedMessage({ kind: 'unmap', slackUserId: 'U1234' }).text).toMatch(
      /^Removed the admin mapping for <@U1234>/,
    );
  });
});
