import { CloseError } from './errors.ts';
import { mayAdminister, type PolicyRules } from './policy.ts';
import type { MappingOverride, ResolveIdentity, Store } from './ports.ts';
import type { Identity } from './types.ts';

export type MappingResult = { ok: true; override?: MappingOverride } | { ok: false; error: CloseError };

/** whoami, map and unmap: the user map as seen and changed from Slack. */
export function createMappingCommands(deps: {
  store: Pick<Store, 'overrides'>;
  resolveIdentity: ResolveIdentity;
  rules: PolicyRules;
}) {
  return {
    async whoami(slackUserId: string): Promise<Identity | undefined> {
      return (await deps.resolveIdentity(slackUserId)).identity;
    },
    async map(actor: string, target: string, username: string, site: string | undefined): Promise<MappingResult> {
      if (!mayAdminister(actor, deps.rules)) return { ok: false, error: new CloseError('not_admin') };
      const override: MappingOverride = { username, site, setBy: actor, setAt: new Date().toISOString() };
      await deps.store.overrides.set(target, override);
      return { ok: true, override };
    },
    async unmap(actor: string, target: string): Promise<MappingResult> {
      if (!mayAdminister(actor, deps.rules)) return { ok: false, error: new CloseError('not_admin') };
      await deps.store.overrides.delete(target);
      return { ok: true };
    },
  };
}

export type MappingCommands = ReturnType<typeof createMappingCommands>;
