import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

const Manifest = z.object({
  oauth_config: z.object({ scopes: z.object({ bot: z.array(z.string()).min(1) }) }),
});

/**
 * manifest.yml is the one list of the scopes the bot needs. Looked for where the doctor runs (the
 * project directory), then next to the sources (src/doctor → repo root, or dist/doctor.mjs when built).
 */
export function findManifest(cwd: string, given?: string): string | undefined {
  if (given) return resolve(cwd, given);
  const here = fileURLToPath(new URL('.', import.meta.url));
  return [resolve(cwd, 'manifest.yml'), resolve(here, '../../manifest.yml'), resolve(here, '../manifest.yml')].find(
    (p) => existsSync(p),
  );
}

/** The bot scopes the manifest asks for; throws with a plain reason when it cannot say. */
export function manifestBotScopes(path: string): string[] {
  const parsed = Manifest.safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} has no oauth_config.scopes.bot list`);
  return parsed.data.oauth_config.scopes.bot;
}
