import type { Secret } from './config.ts';
import { type D3Auth, parseJwtClaims } from './d3/auth.ts';

/** The D3 auth settings as loadConfig's schema has parsed them. */
interface AuthEnv {
  D3_AUTH: 'key' | 'jwt';
  D3_API_KEY?: Secret;
  D3_API_KEY_HEADER: string;
  D3_JWT_SECRET?: Secret;
  D3_STATE_JWT_SECRET?: Secret;
  D3_FIELDS_JWT_SECRET?: Secret;
  D3_JWT_HEADER: string;
  D3_JWT_CLAIMS?: string;
  D3_JWT_TTL_S: number;
}

export const MISSING_KEY = 'D3_API_KEY: is required (or set D3_AUTH=jwt)';

/** Rules across the D3 auth settings; loadConfig reports them as `NAME: rule`, never with a value. */
export function authProblems(e: AuthEnv): string[] {
  if (e.D3_AUTH === 'key') return e.D3_API_KEY ? [] : [MISSING_KEY];
  const out = e.D3_JWT_SECRET ? [] : ["D3_JWT_SECRET: is required when D3_AUTH=jwt (the JWT key's Secret Key)"];
  const claims = e.D3_JWT_CLAIMS ? parseJwtClaims(e.D3_JWT_CLAIMS) : undefined;
  if (claims && 'problem' in claims) out.push(`D3_JWT_CLAIMS: ${claims.problem}`);
  return out;
}

/** Called only after authProblems found nothing. */
export function d3Auth(e: AuthEnv): D3Auth {
  if (e.D3_AUTH === 'key' || !e.D3_JWT_SECRET) return { kind: 'key', header: e.D3_API_KEY_HEADER };
  const parsed = e.D3_JWT_CLAIMS ? parseJwtClaims(e.D3_JWT_CLAIMS) : { claims: {} };
  return {
    kind: 'jwt',
    header: e.D3_JWT_HEADER,
    secret: e.D3_JWT_SECRET,
    stateSecret: e.D3_STATE_JWT_SECRET ?? e.D3_JWT_SECRET,
    fieldsSecret: e.D3_FIELDS_JWT_SECRET ?? e.D3_JWT_SECRET,
    claims: 'claims' in parsed ? parsed.claims : {},
    ttlS: e.D3_JWT_TTL_S,
  };
}
