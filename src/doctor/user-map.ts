import type { Config } from '../config.ts';
import { loadUserMap, type UserMap, UserMapError } from '../identity/user-map.ts';
import { type CheckResult, fail, pass, warn } from './check.ts';

export interface MappedUser {
  key: string;
  username: string;
  site: string | undefined;
}

/** Every entry with the site it would close in (its own, the file's default, else D3_DEFAULT_SITE). */
export function mappedUsers(map: UserMap, config: Config): MappedUser[] {
  return Object.entries(map.users).map(([key, v]) => ({
    key,
    username: v.username,
    site: v.site ?? map.defaultSite ?? config.d3.defaultSite,
  }));
}

/**
 * The same parser the app starts with (so every problem it would refuse is named, with its line),
 * plus what parses yet cannot work: entries without any site, and one D3 user under several keys.
 */
export function checkUserMap(config: Config): { result: CheckResult; users: MappedUser[] } {
  let map: UserMap;
  try {
    map = loadUserMap(config.userMapFile);
  } catch (e) {
    const text =
      e instanceof UserMapError
        ? e.message
            .replace(/^Invalid user map:\n/, '')
            .split('\n')
            .join('; ')
        : String(e);
    const fix = `correct ${config.userMapFile} (keys: Slack user IDs U…/W… or emails; values: { username, site? }; see config/users.example.yml)`;
    return { result: fail('user map', text, fix), users: [] };
  }
  const users = mappedUsers(map, config);
  const noSite = users.filter((u) => !u.site).map((u) => u.key);
  const byName = new Map<string, string[]>();
  for (const u of users) byName.set(u.username.toLowerCase(), [...(byName.get(u.username.toLowerCase()) ?? []), u.key]);
  const dupes = [...byName.entries()].filter(([, keys]) => keys.length > 1);
  const sites = [...new Set(users.map((u) => u.site).filter((s): s is string => !!s))];
  const summary = `${users.length} entries in ${config.userMapFile}, sites: ${sites.join(', ') || 'none'}`;
  const problems = [
    ...(noSite.length > 0 ? [`no site for ${noSite.join(', ')} (they cannot close)`] : []),
    ...dupes.map(([name, keys]) => `D3 user ${name} is mapped from ${keys.join(' and ')}`),
  ];
  if (problems.length === 0) return { result: pass('user map', summary), users };
  const fix =
    'give each entry a site (or set defaultSite / D3_DEFAULT_SITE); keep a D3 user under one key unless the same person is listed by ID and email';
  return { result: warn('user map', `${summary}; ${problems.join('; ')}`, fix), users };
}
