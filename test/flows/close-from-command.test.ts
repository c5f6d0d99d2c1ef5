import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

describe('closing from the slash command', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('acknowledges at once, closes in D3 as the mapped user and posts the summary to the channel', async () => {
    const res = await h.command({ text: '20200526-23 False positive: benign scanner' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('20200526-23');

    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    expect(h.d3.closeCalls().map((c) => c.body)).toEqual([
      {
        Username: 'jdoe',
        Site: 'Security Operations',
        CommandParams: { 'Incident Number': '20200526-23', 'Incident Note': 'False positive: benign scanner' },
      },
    ]);
    expect(h.d3.closeCalls()[0]?.path).toBe('/d3/VSOC/api/Command/CloseIncident');
    expect(h.d3.closeCalls()[0]?.headers.d3key).toBe(h.env.D3_API_KEY);

    const post = h.slack.calls('chat.postMessage')[0]!.args;
    expect(post.channel).toBe('C1234');
    expect(post.text).toEqual(expect.stringContaining('20200526-23'));
    expect(post.text).toEqual(expect.stringContaining('<@U1234>'));
    expect(JSON.stringify(post.blocks)).toContain('Jordan Vale');
    expect(JSON.stringify(post.blocks)).toContain('Security Operations');
    expect(JSON.stringify(post.blocks)).toContain('May 26, 2020 17:07 China Standard Time');

    await h.slack.waitFor(() => h.slack.responses().length === 1);
    expect(JSON.stringify(h.slack.responses()[0])).toContain('20200526-23');
  });

  it('uses the per-user site and D3 username from the user map', async () => {
    await h.command({ user_id: 'U5678', text: '20200526-23 done' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    expect(h.d3.closeCalls()[0]?.body).toMatchObject({ Username: 'asmith', Site: 'Client A' });
  });

  it('maps a user by the email on their Slack profile', async () => {
    await h.stop();
    h = await startHarness({ slackUsers: { U9999: { email: 'Jane.Roe@example.com' } } });
    await h.command({ user_id: 'U9999', text: '20200526-23 done' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    expect(h.d3.closeCalls()[0]?.body).toMatchObject({ Username: 'jroe', Site: 'Security Operations' });
    await h.command({ user_id: 'U9999', text: 'TEST-INCIDENT-73 second close' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 2);
    expect(h.slack.calls('users.info')).toHaveLength(1);
  });

  it('sends the note to D3 byte for byte and shows it escaped in Slack', async () => {
    const typed =
      'Tom & Jerry said "it\'s <fine>"\nline two 🚀 cc <@U777|bob> and <!channel> <https://evil.example|ok>';
    const slackText = typed.replace(/&/g, '&amp;').replace(/"/g, '"');
    // Slack escapes & < > in the text it sends, except its own markup, which it leaves as <…>.
    const encoded = `20200526-23 ${slackText.replace('<fine>', '&lt;fine&gt;')}`;
    await h.command({ text: encoded });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);

    const raw = h.d3.closeCalls()[0]!.rawBody;
    const note = (JSON.parse(raw) as { CommandParams: { 'Incident Note': string } }).CommandParams['Incident Note'];
    expect(note).toBe('Tom & Jerry said "it\'s <fine>"\nline two 🚀 cc @bob and @channel ok (https://evil.example)');
    const posted = JSON.stringify(h.slack.calls('chat.postMessage')[0]!.args);
    expect(posted).not.toContain('<!channel>');
    expect(posted).not.toContain('<https://evil');
    expect(posted).not.toContain('<fine>');
    expect(posted).toContain('&lt;fine&gt;');
    expect(posted).toContain('Tom &amp; Jerry');
  });

  it('closes through CloseIncidentInBulk when configured, with the documented body', async () => {
    await h.stop();
    h = await startHarness({ env: { D3_CLOSE_COMMAND: 'CloseIncidentInBulk' } });
    await h.command({ text: '20200526-23 bulk close' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    const call = h.d3.closeCalls()[0]!;
    expect(call.path).toBe('/d3/VSOC/api/Command/CloseIncidentInBulk');
    expect(call.body).toMatchObject({
      Username: 'jdoe',
      Site: 'Security Operations',
      CommandParams: { 'Incident Numbers': ['20200526-23'], Conclusion: 'bulk close' },
    });
  });

  it('acknowledges before D3 answers, so a slow D3 never holds up the acknowledgement', async () => {
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 2000 });
    const res = await h.command({ text: '20200526-23 slow D3' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Closing');
    expect(h.slack.responses()).toHaveLength(0);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1, 8000);
  });

  it('shows what D3 confirmed when its contextData is the vendor’s unescaped string', async () => {
    h.d3.script('close', { fixture: 'vendor-sample.txt' });
    await h.command({ text: '20200526-23 vendor sample' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    expect(h.slack.calls('chat.postMessage')[0]!.args.text).toEqual(expect.stringContaining('20200526-23'));
  });
});
