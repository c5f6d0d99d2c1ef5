import type { Secret } from '../config.ts';

/**
 * How each D3 request proves who sends it. `key` (D3's default): the command's webhook key in a
 * header. `jwt` (an administrator set `EnableEnhanceWebhookAuthentication = True`): an HS256 token,
 * signed with the JWT key's Secret Key, in its own header (`d3jwt` in D3's UI and in Sentinel's D3
 * connector).
 *
 * What D3 documents (d3-command-api.md §2.2): per JWT key it shows a header object, a payload
 * template and a secret; the payload's fields are case-sensitive, its `Username` must be granted
 * the key, and "the request body values must match the payload exactly". Our reading, a guess until
 * checked on a tenant: the payload IS the request body (`Username`, `Site`, `CommandParams`, the
 * same values we send), so every request carries its own token. Whether D3 wants `iat`/`exp` is not
 * documented: we add them (D3_JWT_TTL_S, default 60 s; 0 leaves them out) and let the operator add
 * any claim the tenant's payload template shows (D3_JWT_CLAIMS). In jwt mode the API key header is
 * not sent: a JWT key is a key of its own in D3 (header key + secret), and Sentinel's connector
 * sends the token alone.
 */
export type D3Auth = { kind: 'key'; header: string } | ({ kind: 'jwt' } & D3JwtSettings);

export interface D3JwtSettings {
  /** Header that carries the token; D3's "Request Header Key" for a JWT key (usually `d3jwt`). */
  header: string;
  /** Secret Key of the close command's JWT key. */
  secret: Secret;
  /** Secret Key of getIncidentStaticField's JWT key (D3 issues one per command); defaults to `secret`. */
  stateSecret: Secret;
  /** Secret Key of SetIncidentFieldsInBulk's JWT key; defaults to `secret`. */
  fieldsSecret?: Secret;
  /** Extra claims from the tenant's payload template; the body's own fields always win. */
  claims: Record<string, unknown>;
  /** Lifetime for `iat`/`exp`; 0 sends neither. */
  ttlS: number;
}

/** Claims the bot sets itself: D3_JWT_CLAIMS may not override them. */
export const RESERVED_CLAIMS = ['Username', 'Site', 'CommandParams', 'iat', 'exp'];

/**
 * The token for one request body: `{ ...claims, ...body, iat, exp }`, HS256. `body` must be the very
 * object that is serialised as the request body, so payload and body cannot drift apart.
 */
export async function signD3Body(
  body: object,
  secret: Secret,
  o: Pick<D3JwtSettings, 'claims' | 'ttlS'>,
  now = Date.now(),
): Promise<string> {
  // Imported on demand: jose is 47 modules that key-mode start-ups never need (client.ts loads it at
  // start-up when D3_AUTH=jwt).
  const { SignJWT } = await import('jose');
  const jwt = new SignJWT({ ...o.claims, ...(body as Record<string, unknown>) }).setProtectedHeader({
    alg: 'HS256',
    typ: 'JWT',
  });
  if (o.ttlS > 0) {
    const iat = Math.floor(now / 1000);
    jwt.setIssuedAt(iat).setExpirationTime(iat + o.ttlS);
  }
  return jwt.sign(new TextEncoder().encode(secret.reveal()));
}

/** The auth header(s) for one request: the command's key, or a token signed over `body`. */
export async function authHeaders(
  auth: D3Auth,
  which: 'close' | 'state' | 'fields',
  keys: { close: Secret; state: Secret; fields?: Secret },
  body: object,
): Promise<Record<string, string>> {
  // SetIncidentFieldsInBulk has a key of its own in D3; without one configured the close key is used.
  if (auth.kind === 'key')
    return { [auth.header]: (which === 'fields' ? (keys.fields ?? keys.close) : keys[which]).reveal() };
  const secret =
    which === 'close' ? auth.secret : which === 'state' ? auth.stateSecret : (auth.fieldsSecret ?? auth.secret);
  return { [auth.header]: await signD3Body(body, secret, auth) };
}

/** D3_JWT_CLAIMS: a JSON object of extra claims; problems come back as text for the config error. */
export function parseJwtClaims(text: string): { claims: Record<string, unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'must be a JSON object, e.g. {"iss":"close-incident"}' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: 'must be a JSON object, e.g. {"iss":"close-incident"}' };
  }
  const taken = Object.keys(value).filter((k) => RESERVED_CLAIMS.includes(k));
  if (taken.length > 0) return { problem: `must not set ${taken.join(', ')} (the bot sets them per request)` };
  return { claims: value as Record<string, unknown> };
}
