import type { PolicyRules } from '../../src/domain/policy.ts';
import type { Store } from '../../src/domain/ports.ts';
import { createSummaryDeliverer } from '../../src/domain/summaries.ts';
import { createIdentityResolver, parseUserMap } from '../../src/identity/user-map.ts';
import type { Log } from '../../src/log.ts';
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

/** Summaries whose every post succeeds at once: for use-case tests about what comes before the post. */
export function postingSummaries(store: Store, log: Log) {
  return createSummaryDeliverer({
    store,
    post: async () => ({ ok: true }),
    notifyNotPosted: async () => {},
    log,
    instanceId: 'instance-1',
    claimTtlMs: 5_000,
  });
}
