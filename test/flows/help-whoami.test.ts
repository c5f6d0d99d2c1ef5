import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeSlack, type FakeSlackUser, startFakeSlack } from '../support/fake-slack.ts';
import { botToken, type Harness, startHarness } from '../support/harness.ts';

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

describe('matching by the Slack profile email', () => {
  let h: Harness | undefined;
  let slack: FakeSlack | undefined;
  afterEach(async () => {
    await h?.stop();
    await slack?.stop();
    h = undefined;
    slack = undefined;
  });

  const email = 'jane.roe@example.com';
  const users: Record<string, FakeSlackUser> = {
    U0MEMBER: { email },
    U0UNCONFIRMED: { email, emailConfirmed: false },
    U0STRANGER: { email, stranger: true, teamId: 'T9999' },
    U0GUEST: { email, restricted: true },
    U0SINGLEGUEST: { email, ultraRestricted: true },
    U0OTHERTEAM: { email, teamId: 'T9999' },
    U0OTHERORG: { email, enterpriseId: 'E9999' },
  };
  const whoami = async (user: string) => {
    await h!.command({ user_id: user, text: 'whoami', response_url: slack!.responseUrl(user) });
    await slack!.waitFor(() => slack!.responses(user).length === 1);
    return JSON.stringify(slack!.responses(user)[0]);
  };

  it('maps a confirmed member of this workspace, and nobody else, by the email in the user map', async () => {
    slack = await startFakeSlack({ botToken, users });
    h = await startHarness({ slack });
    expect(await whoami('U0MEMBER')).toContain('jroe');
    for (const user of Object.keys(users).filter((u) => u !== 'U0MEMBER')) {
      const answer = await whoami(user);
      expect(answer, user).toMatch(/not mapped/i);
      expect(answer, user).not.toContain('jroe');
    }
    await h.command({ user_id: 'U0UNCONFIRMED', text: '20200526-23 done', response_url: slack.responseUrl('close') });
    await slack.waitFor(() => slack!.responses('close').length === 1);
    expect(JSON.stringify(slack.responses('close'))).toMatch(/not mapped/i);
    expect(h.d3.requests()).toHaveLength(0);
    expect(h.logs()).toContain('email not confirmed in Slack');
  });
});
