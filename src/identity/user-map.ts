import { readFileSync } from 'node:fs';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { SLACK_USER_ID_STRICT } from '../domain/limits.ts';
import { emailMatchProblem, type Installation } from '../domain/policy.ts';
import type { MappingOverride, Resolved, ResolveIdentity } from '../domain/ports.ts';
import type { Identity, SlackPerson } from '../domain/types.ts';

const slackId = SLACK_USER_ID_STRICT;
const email = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const Entry = z.strictObject({
  username: z.string().trim().min(1, { message: 'username must not be empty' }),
  site: z.string().trim().min(1, { message: 'site must not be empty' }).optional(),
  /** How D3 shows this user as ClosedBy ("Jordan Vale"): lets the bot recognise its own late closures. */
  displayName: z.string().trim().min(1, { message: 'displayName must not be empty' }).optional(),
});

const UserMapFile = z.strictObject({
  defaultSite: z.string().trim().min(1).optional(),
  users: z.record(z.string(), Entry).superRefine((users, ctx) => {
    for (const key of Object.keys(users)) {
      if (slackId.test(key) || email.test(key)) continue;
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `"${key}" is neither a Slack user ID (U… or W…) nor an email address`,
      });
    }
  }),
});

export type UserMap = z.output<typeof UserMapFile>;

export class UserMapError extends Error {
  override readonly name = 'UserMapError';
}

/**
 * Parses the user map (YAML, or JSON which is YAML too) and reports each problem with the line it
 * is on, so an operator can fix the file without guessing. Throws UserMapError listing them all.
 */
export function parseUserMap(text: string, fileName = 'user map'): UserMap {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `${fileName}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new UserMapError(`Invalid user map:\n${lines.join('\n')}`);
  }
  const parsed = UserMapFile.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const node = nodeAt(doc.contents, issue.path);
    const line = node?.range ? lineCounter.linePos(node.range[0]).line : '?';
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return `${fileName}:${line}: ${where}${issue.message}`;
  });
  throw new UserMapError(`Invalid user map:\n${lines.join('\n')}`);
}

type YamlNode = { range?: [number, number, number] | null } | null | undefined;

function nodeAt(root: unknown, path: PropertyKey[]): YamlNode {
  let node = root as YamlNode;
  for (const key of path) {
    if (!isMap(node)) return node;
    const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value) === String(key));
    if (!pair) return node;
    // A bad key is reported at the key; a bad value at the value.
    node = (pair.value ?? pair.key) as YamlNode;
  }
  return node;
}

export function loadUserMap(file: string): UserMap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new UserMapError(`Cannot read the user map ${file}: ${(cause as NodeJS.ErrnoException).code ?? cause}`);
  }
  return parseUserMap(text, file);
}

export interface IdentityLookups {
  /** An admin override from the store, if any. */
  override(slackUserId: string): Promise<MappingOverride | undefined>;
  /** What users.info says about the user (cached by the caller); undefined when Slack did not say. */
  person(slackUserId: string): Promise<SlackPerson | undefined>;
  /** A profile email matched the map but policy refused it (e.g. unconfirmed): the operator's log. */
  emailRefused?(slackUserId: string, reason: string): void;
}

/**
 * Slack user → D3 account. Order: an admin override, then the file by Slack ID, then the file by
 * the profile email, which counts only for a confirmed email of a full member of the installation's
 * own workspace (policy.emailMatchProblem). The site is the entry's own, else the file's default,
 * else D3_DEFAULT_SITE. `mapped: true` without identity means the user is known but has no site.
 */
export function createIdentityResolver(
  map: UserMap,
  fallbackSite: string | undefined,
  lookups: IdentityLookups,
  installation: Installation,
) {
  const defaultSite = map.defaultSite ?? fallbackSite;
  const byEmail = new Map(
    Object.entries(map.users)
      .filter(([k]) => email.test(k))
      .map(([k, v]) => [k.toLowerCase(), v]),
  );
  const finish = (
    slackUserId: string,
    username: string,
    site: string | undefined,
    source: Identity['source'],
    displayName?: string,
  ): Resolved =>
    site
      ? { identity: { slackUserId, username, site, source, ...(displayName && { displayName }) } }
      : { identity: undefined, mapped: true as const, username };

  const resolveIdentity: ResolveIdentity = async (slackUserId) => {
    const o = await lookups.override(slackUserId);
    if (o) return finish(slackUserId, o.username, o.site ?? defaultSite, 'override');
    const direct = map.users[slackUserId];
    if (direct) return finish(slackUserId, direct.username, direct.site ?? defaultSite, 'file', direct.displayName);
    if (byEmail.size > 0) {
      const person = await lookups.person(slackUserId);
      const viaEmail = person?.email ? byEmail.get(person.email.toLowerCase()) : undefined;
      const problem = person && viaEmail ? emailMatchProblem(person, installation) : undefined;
      if (viaEmail && problem) lookups.emailRefused?.(slackUserId, problem);
      else if (viaEmail) {
        return finish(slackUserId, viaEmail.username, viaEmail.site ?? defaultSite, 'email', viaEmail.displayName);
      }
    }
    return { identity: undefined, mapped: false };
  };
  return resolveIdentity;
}
