import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

describe('help, whoami, history and the admin mapping commands', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { SLACK_ADMIN_USER_IDS: 'U5678', SUPPORT_CONTACT: '@secops-lead' } });
  });
  afterEach(async () => {
    await h.stop();
  });
  const last = () => JSON.stringify(h.slack.responses().at(-1));

  it('answers help with usage in the acknowledgement', async () => {
    const res = await h.command({ text: 'help' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('/close-incident');
    expect(res.text).toMatch(/whoami/);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('tells a mapped analyst which D3 user and site the bot acts as', async () => {
    await h.command({ text: 'whoami' });
    await h.slack.waitFor(() => h.slack.responses().length === 1);
    expect(last()).toContain('jdoe');
    expect(last()).toContain('Security Operations');
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('tells an unmapped analyst whom to ask', async () => {
    await h.command({ user_id: 'U0NOBODY', text: 'whoami' });
    await h.slack.waitFor(() => h.slack.responses().length === 1);
    expect(last()).toMatch(/not mapped/i);
    expect(last()).toContain('@secops-lead');
  });

  it('lists the close attempts for an incident with history', async () => {
    await h.command({ text: '20200526-23 first' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    await h.command({ user_id: 'U0NOBODY', text: '20200526-23 second' });
    await h.slack.waitFor(() => h.slack.responses().length === 2);
    await h.command({ text: 'history 20200526-23' });
    await h.slack.waitFor(() => h.slack.responses().length === 3);
    expect(last()).toContain('jdoe');
    expect(last()).toMatch(/closed/);
    expect(last()).toMatch(/refused/);
  });

  it('lets an admin map and unmap a user, and refuses everyone else', async () => {
    await h.command({ text: 'map <@U0NEW|newbie> nnew Client B' });
    await h.slack.waitFor(() => h.slack.responses().length === 1);
    expect(last()).toMatch(/admin/i);

    await h.command({ user_id: 'U5678', text: 'map <@U0NEW|newbie> nnew Client B' });
    await h.slack.waitFor(() => h.slack.responses().length === 2);
    await h.command({ user_id: 'U0NEW', text: 'whoami' });
    await h.slack.waitFor(() => h.slack.responses().length === 3);
    expect(last()).toContain('nnew');
    expect(last()).toContain('Client B');
    expect(last()).toMatch(/override/i);

    await h.command({ user_id: 'U5678', text: 'unmap <@U0NEW|newbie>' });
    await h.slack.waitFor(() => h.slack.responses().length === 4);
    await h.command({ user_id: 'U0NEW', text: 'whoami' });
    await h.slack.waitFor(() => h.slack.responses().length === 5);
    expect(last()).toMatch(/not mapped/i);
  });
});
