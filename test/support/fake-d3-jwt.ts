import type { IncomingHttpHeaders } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { errors as joseErrors, jwtVerify } from 'jose';

/**
 * A D3 with EnableEnhanceWebhookAuthentication: no key, but an HS256 token in `header` (default d3jwt)
 * signed with the command's secret, whose payload carries the body's own values (d3-command-api.md
 * §2.2). `clockOffsetS` sets this D3's clock ahead of the bot's (an expired token without waiting).
 */
export interface FakeJwtOptions {
  secret: string;
  stateSecret?: string;
  header?: string;
  clockOffsetS?: number;
}

const BODY_FIELDS = ['Username', 'Site', 'CommandParams'];

/** Why D3 would refuse this request's token, or undefined when it accepts it. */
export async function jwtRefusal(
  jwt: FakeJwtOptions,
  kind: 'close' | 'state' | 'fields',
  headers: IncomingHttpHeaders,
  body: unknown,
): Promise<string | undefined> {
  const token = headers[(jwt.header ?? 'd3jwt').toLowerCase()];
  if (typeof token !== 'string') return 'no-token';
  const secret = new TextEncoder().encode(kind === 'state' ? (jwt.stateSecret ?? jwt.secret) : jwt.secret);
  let payload: Record<string, unknown>;
  try {
    const currentDate = new Date(Date.now() + (jwt.clockOffsetS ?? 0) * 1000);
    ({ payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], currentDate }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) return 'expired';
    return e instanceof joseErrors.JWSSignatureVerificationFailed ? 'signature' : 'invalid';
  }
  if (typeof body !== 'object' || body === null) return 'body-mismatch';
  const fields = new Set([...BODY_FIELDS, ...Object.keys(body)]);
  for (const f of fields) {
    if (!isDeepStrictEqual(payload[f], (body as Record<string, unknown>)[f])) return 'body-mismatch';
  }
  return undefined;
}
