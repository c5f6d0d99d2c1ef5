/**
 * What Slack says about who belongs where: the installation (auth.test, once at start-up) and a
 * user's organisation and email status (users.info). policy.ts decides what either is allowed.
 */
import { z } from 'zod';
import type { Installation } from '../domain/policy.ts';
import type { SlackPerson } from '../domain/types.ts';

/**
 * The workspace (or, for an org-wide install, the Enterprise org) the token belongs to. Without it
 * no request could be proven to come from home, so the bot does not start.
 */
export function installationOf(auth: {
  team_id?: string;
  enterprise_id?: string;
  is_enterprise_install?: boolean;
}): Installation {
  const enterpriseInstall = auth.is_enterprise_install === true;
  const teamId = auth.team_id || undefined;
  const enterpriseId = auth.enterprise_id || undefined;
  if (enterpriseInstall ? !enterpriseId : !teamId) {
    throw new Error(
      'Slack auth.test did not name the workspace or org the bot is installed in (team_id/enterprise_id)',
    );
  }
  return { teamId: teamId ?? '', enterpriseId, enterpriseInstall };
}

// Not the earlier 'email' cache namespace: entries written before the organisation checks carry no flags.
export const personCache = 'slack-person';

const ids = z.array(z.string()).catch([]);
/** users.info's user, read leniently: a flag Slack did not state is read as the unsafe answer. */
const UserInfo = z.looseObject({
  team_id: z.string().optional().catch(undefined),
  teams: ids.optional(),
  enterprise_id: z.string().optional().catch(undefined),
  enterprise_user: z
    .looseObject({ enterprise_id: z.string().optional().catch(undefined), teams: ids.optional() })
    .optional()
    .catch(undefined),
  deleted: z.unknown().optional(),
  is_bot: z.unknown().optional(),
  is_email_confirmed: z.unknown().optional(),
  is_stranger: z.unknown().optional(),
  is_restricted: z.unknown().optional(),
  is_ultra_restricted: z.unknown().optional(),
  profile: z
    .looseObject({ email: z.string().optional().catch(undefined) })
    .optional()
    .catch(undefined),
});

export function personOf(user: unknown): SlackPerson | undefined {
  const u = UserInfo.safeParse(user);
  if (!u.success) return undefined;
  const d = u.data;
  const teamIds = [d.team_id, ...(d.teams ?? []), ...(d.enterprise_user?.teams ?? [])].filter(
    (t): t is string => typeof t === 'string' && t !== '',
  );
  return {
    email: d.profile?.email || undefined,
    emailConfirmed: d.is_email_confirmed === true,
    stranger: d.is_stranger === true,
    guest: d.is_restricted !== false || d.is_ultra_restricted !== false,
    deleted: d.deleted === true,
    bot: d.is_bot === true,
    teamIds,
    enterpriseId: d.enterprise_user?.enterprise_id || d.enterprise_id || undefined,
  };
}
