import type { Log } from '../log.ts';
import type { ResolveIdentity, Store } from './ports.ts';
import type { AuditRecord, Identity } from './types.ts';

export interface HomeData {
  identity: Identity | undefined;
  records: AuditRecord[];
  /** The store did not answer: the list is unknown, not empty. */
  recordsUnavailable?: boolean;
}

/** What App Home shows one analyst: their D3 identity and their latest close attempts (audit store). */
export function createHomeData(deps: { resolveIdentity: ResolveIdentity; store: Pick<Store, 'audit'>; log: Log }) {
  return async function homeData(slackUserId: string, limit = 10): Promise<HomeData> {
    const [resolved, records] = await Promise.all([
      deps.resolveIdentity(slackUserId),
      deps.store.audit.byUser(slackUserId, limit).catch((e: unknown) => {
        deps.log.warn({ err: e, slackUser: slackUserId }, 'cannot read recent close attempts for App Home');
        return undefined;
      }),
    ]);
    return records
      ? { identity: resolved.identity, records }
      : { identity: resolved.identity, records: [], recordsUnavailable: true };
  };
}
