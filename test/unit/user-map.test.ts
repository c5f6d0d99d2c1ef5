import { describe, expect, it } from 'vitest';
import type { Installation } from '../../src/domain/policy.ts';
import type { SlackPerson } from '../../src/domain/types.ts';
import { createIdentityResolver, parseUserMap, UserMapError } from '../../src/identity/user-map.ts';

function errorOf(text: string): string {
  try {
    parseUserMap(text, 'users.yml');
  } catch (e) {
    if (e instanceof UserMapError) return e.message;
    throw e;
  }
  throw new Error('parseUserMap accepted the file');
}

const noLookups = { override: async () => undefined, person: async () => undefined };
const home: Installation = { teamId: 'T1234', enterpriseInstall: false };
const member = (over: Partial<SlackPerson> = {}): SlackPerson => ({
  email: 'X@Y.example',
  emailConfirmed: true,
  stranger: false,
  guest: false,
  deleted: false,
  bot: false,
  teamIds: ['T1234'],
  ...over,
});

describe('the user map', () => {
  it('accepts Slack IDs and emails, with an optional default site', () => {
    const map = parseUserMap(
      'defaultSite: SOC\nusers:\n  U0123ABCD: { username: jdoe }\n  a@b.example: { username: ab, site: X }\n',
    );
    expect(map.users.U0123ABCD).toEqual({ username: 'jdoe' });
    expect(map.defaultSite).toBe('SOC');
  });

  it('names the line and the key that is neither a Slack ID nor an email', () => {
    const message = errorOf('users:\n  U0123ABCD: { username: jdoe }\n  jdoe: { username: jdoe }\n');
    expect(message).toContain('users.yml:3');
    expect(message).toContain('jdoe');
    expect(message).toMatch(/Slack user ID/);
  });

  it('names the line of an entry without a username', () => {
    expect(errorOf('users:\n  U0123ABCD: { site: X }\n')).toMatch(/users\.yml:2: .*username/);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(errorOf('users:\n  U0123ABCD: { username: jdoe\n')).toMatch(/users\.yml:\d+/);
  });

  it('accepts JSON, which is YAML too', () => {
    expect(parseUserMap('{"users": {"W0456EFGH": {"username": "asmith"}}}').users.W0456EFGH?.username).toBe('asmith');
  });

  it('resolves by ID, then email, and reports a user without a site', async () => {
    const map = parseUserMap(
      'users:\n  U0001: { username: one, site: A }\n  U0002: { username: two }\n  x@y.example: { username: xy, site: B }\n',
    );
    const resolve = createIdentityResolver(map, undefined, { ...noLookups, person: async () => member() }, home);
    expect((await resolve('U0001')).identity).toMatchObject({ username: 'one', site: 'A', source: 'file' });
    expect(await resolve('U0002')).toEqual({ identity: undefined, mapped: true, username: 'two' });
    expect((await resolve('U0003')).identity).toMatchObject({ username: 'xy', site: 'B', source: 'email' });
  });

  it('lets an admin override win over the file', async () => {
    const map = parseUserMap('users:\n  U0001: { username: one, site: A }\n');
    const resolve = createIdentityResolver(
      map,
      'Default',
      { ...noLookups, override: async () => ({ username: 'other', setBy: 'U9', setAt: '' }) },
      home,
    );
    expect((await resolve('U0001')).identity).toMatchObject({ username: 'other', site: 'Default', source: 'override' });
  });

  it.each<[string, Partial<SlackPerson>, string]>([
    ['an unconfirmed email', { emailConfirmed: false }, 'email not confirmed in Slack'],
    ['a Slack Connect stranger', { stranger: true }, 'user of another organisation (Slack Connect)'],
    ['a guest', { guest: true }, 'guest account'],
    ['a member of another workspace', { teamIds: ['T9999'] }, 'user of another workspace or organisation'],
    ['a member of another Enterprise org', { enterpriseId: 'E9999' }, 'user of another workspace or organisation'],
    ['a deactivated account', { deleted: true }, 'deactivated account or bot'],
  ])('does not map %s by email, and says why', async (_what, over, reason) => {
    const map = parseUserMap('users:\n  x@y.example: { username: xy, site: B }\n');
    const refused: string[] = [];
    const lookups = {
      ...noLookups,
      person: async () => member(over),
      emailRefused: (_id: string, why: string) => void refused.push(why),
    };
    const resolve = createIdentityResolver(map, undefined, lookups, home);
    expect(await resolve('U0003')).toEqual({ identity: undefined, mapped: false });
    expect(refused).toEqual([reason]);
  });

  it('maps a member of any workspace of the org when the bot is installed org-wide', async () => {
    const map = parseUserMap('users:\n  x@y.example: { username: xy, site: B }\n');
    const org: Installation = { teamId: '', enterpriseId: 'E1', enterpriseInstall: true };
    const lookups = { ...noLookups, person: async () => member({ teamIds: ['T7777'], enterpriseId: 'E1' }) };
    expect((await createIdentityResolver(map, undefined, lookups, org)('U0003')).identity?.username).toBe('xy');
    const outsider = { ...noLookups, person: async () => member({ teamIds: ['T7777'], enterpriseId: 'E2' }) };
    expect((await createIdentityResolver(map, undefined, outsider, org)('U0003')).identity).toBeUndefined();
  });
});
