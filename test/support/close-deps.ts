import type { PolicyRules } from '../../src/domain/policy.ts';
import { createIdentityResolver, parseUserMap } from '../../src/identity/user-map.ts';
import { defaultUserMap } from './harness.ts';

/** The rules most use-case tests close under: a note required, no channel, group or admin limits. */
export const openRules: PolicyRules = {
  noteRequired: true,
  maxNoteLength: 3000,
  allowedChannelIds: [],
  allowedUserGroupIds: [],
  adminUserIds: [],
};

/** Identity from the harness's default user map, in workspace T0001, with no overrides or profile reads. */
export function defaultIdentity() {
  return createIdentityResolver(
    parseUserMap(defaultUserMap),
    undefined,
    { override: async () => undefined, person: async () => undefined },
    { teamId: 'T0001', enterpriseInstall: false },
  );
}
