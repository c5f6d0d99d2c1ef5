import { describe, expect, it } from 'vitest';
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

const noLookups = { override: async () => undefined, email: async () => undefined };

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
    const resolve = createIdentityResolver(map, undefined, { ...noLookups, email: async () => 'X@Y.example' });
    expect((await resolve('U0001')).identity).toMatchObject({ username: 'one', site: 'A', source: 'file' });
    expect(await resolve('U0002')).toEqual({ identity: undefined, mapped: true, username: 'two' });
    expect((await resolve('U0003')).identity).toMatchObject({ username: 'xy', site: 'B', source: 'email' });
  });

  it('lets an admin override win over the file', async () => {
    const map = parseUserMap('users:\n  U0001: { username: one, site: A }\n');
    const resolve = createIdentityResolver(map, 'Default', {
      ...noLookups,
      override: async () => ({ username: 'other', setBy: 'U9', setAt: '' }),
    });
    expect((await resolve('U0001')).identity).toMatchObject({ username: 'other', site: 'Default', source: 'override' });
  });
});
