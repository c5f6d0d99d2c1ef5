import { Agent, type Dispatcher, request } from 'undici';
import type { Config } from '../config.ts';
import { isLoopback } from '../config-urls.ts';
import { createD3Client } from '../d3/client.ts';
import { type CloseError, isCloseError } from '../domain/errors.ts';
import { type CheckResult, fail, pass, skip, warn } from './check.ts';
import type { MappedUser } from './user-map.ts';

export interface D3Probe {
  /** An incident to read (never close); without it the key is not checked. */
  incident?: string;
  /** D3 username and site for the read; default the first user-map entry with a site. */
  user?: string;
  site?: string;
}

const MAX_SITE_PROBES = 10;

/** TLS and transport failures, in the operator's words. */
function transportFix(code: string | undefined): string {
  if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/i.test(code)) {
    return 'D3’s certificate is not trusted here: fix its chain, or give Node the CA with NODE_EXTRA_CA_CERTS';
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'check the host name in D3_BASE_URL (DNS)';
  return 'check D3_BASE_URL (host, port, path), and that a firewall or proxy lets this host reach D3';
}

export function checkD3Url(config: Config): CheckResult {
  const url = new URL(config.d3.baseUrl);
  if (url.protocol === 'https:') return pass('d3 url', `${url.origin}${url.pathname} over TLS`);
  return isLoopback(url.hostname)
    ? warn('d3 url', `${url.origin} is plain http to this host (D3_ALLOW_INSECURE_HTTP)`, 'use https for a real D3')
    : fail('d3 url', `${url.origin} is not https`, 'use https in D3_BASE_URL');
}

/** Any HTTP answer from D3_BASE_URL proves DNS, the route and (for https) the certificate. No key is sent. */
export async function checkD3Reachable(config: Config, dispatcher: Dispatcher): Promise<CheckResult> {
  try {
    const res = await request(config.d3.baseUrl, {
      method: 'GET',
      dispatcher,
      headersTimeout: config.d3.timeoutMs,
      bodyTimeout: config.d3.timeoutMs,
    });
    await res.body.dump();
    return pass('d3 reachable', `${new URL(config.d3.baseUrl).host} answered (HTTP ${res.statusCode})`);
  } catch (e) {
    const code = (e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code;
    return fail(
      'd3 reachable',
      `no answer from ${new URL(config.d3.baseUrl).host} (${code ?? String(e)})`,
      transportFix(code),
    );
  }
}

function credentialsFix(config: Config, username: string): string {
  return config.d3.auth.kind === 'jwt'
    ? `check D3_STATE_JWT_SECRET (or D3_JWT_SECRET), D3_JWT_HEADER, D3_JWT_CLAIMS and this host’s clock against the JWT key D3 shows for getIncidentStaticField, and that D3 user ${username} is granted it`
    : `check D3_STATE_API_KEY (or D3_API_KEY) and D3_API_KEY_HEADER against the key D3 shows for getIncidentStaticField, and that D3 user ${username} is granted it`;
}

function readFailure(e: CloseError, config: Config, as: { username: string; site: string }, n: string) {
  const words = e.detail.d3Message ? `: “${e.detail.d3Message}”` : '';
  const status = e.detail.status ? ` HTTP ${e.detail.status}` : '';
  const what = `getIncidentStaticField ${n} as ${as.username} in ${as.site} →${status} ${e.code}${words}`;
  switch (e.code) {
    case 'd3_unauthorized':
      return fail('d3 read access', `D3 refused the credentials (${what})`, credentialsFix(config, as.username));
    case 'd3_forbidden':
    case 'd3_rejected':
      return fail(
        'd3 read access',
        `D3 took the credentials but refused the read (${what})`,
        `check that ${n} exists and that ${as.username} may see it in site ${as.site}`,
      );
    case 'd3_unreachable':
    case 'd3_outcome_unknown':
      return fail('d3 read access', `no answer (${what}, ${e.detail.reason ?? ''})`, transportFix(e.detail.reason));
    default:
      return fail(
        'd3 read access',
        `unexpected answer (${what})`,
        e.detail.hint ?? 'check D3_BASE_URL and D3_API_NAMESPACE against the Request URL D3 shows',
      );
  }
}

function probeUser(users: MappedUser[], config: Config, p: D3Probe) {
  if (p.user)
    return {
      username: p.user,
      site: p.site ?? users.find((u) => u.username === p.user)?.site ?? config.d3.defaultSite,
    };
  const first = users.find((u) => u.site);
  return first && { username: first.username, site: p.site ?? first.site };
}

/** The key (or JWT) proven by a read — getIncidentStaticField, never a close — and the map's sites where D3 answers. */
export async function checkD3Access(config: Config, users: MappedUser[], p: D3Probe, dispatcher?: Dispatcher) {
  const closeKey = skip(
    'd3 close key',
    'only a close proves it and the doctor never closes; close one staging incident (D3 issues one key per command)',
  );
  const how = 'npm run doctor -- --incident <number> [--user <D3 username> --site <site>]';
  if (!p.incident)
    return [
      skip('d3 read access', `no incident given; run ${how}`),
      closeKey,
      skip('user map sites', 'needs --incident'),
    ];
  const as = probeUser(users, config, p);
  if (!as?.site)
    return [
      skip('d3 read access', `no D3 user with a site to read as; run ${how}`),
      closeKey,
      skip('user map sites', 'needs a user with a site'),
    ];
  const client = createD3Client({ ...config.d3, ...(dispatcher && { dispatcher }) });
  try {
    const read = (username: string, site: string) =>
      client.getState({ username, site, incidentNumber: p.incident!, requestId: 'doctor' });
    try {
      const state = await read(as.username, as.site);
      const at = state.site ? ` in site ${state.site}` : '';
      const ok = pass(
        'd3 read access',
        `D3 accepted the ${config.d3.auth.kind === 'jwt' ? 'JWT' : 'key'}: ${p.incident} is ${state.status}${at} (read as ${as.username})`,
      );
      return [ok, closeKey, await checkSites(users, { site: as.site }, read)];
    } catch (e) {
      if (!isCloseError(e)) throw e;
      return [
        readFailure(e, config, { username: as.username, site: as.site }, p.incident),
        closeKey,
        skip('user map sites', 'needs a read D3 accepts'),
      ];
    }
  } finally {
    await client.destroy();
  }
}

async function checkSites(
  users: MappedUser[],
  probed: { site: string },
  read: (username: string, site: string) => Promise<unknown>,
) {
  const bySite = new Map<string, string>();
  for (const u of users) if (u.site && !bySite.has(u.site)) bySite.set(u.site, u.username);
  bySite.delete(probed.site);
  const confirmed = [probed.site];
  const unconfirmed: string[] = [];
  for (const [site, username] of [...bySite].slice(0, MAX_SITE_PROBES)) {
    try {
      await read(username, site);
      confirmed.push(site);
    } catch (e) {
      unconfirmed.push(`${site} as ${username} (${isCloseError(e) ? (e.detail.d3Message ?? e.code) : 'error'})`);
    }
  }
  const rest = bySite.size > MAX_SITE_PROBES ? `; ${bySite.size - MAX_SITE_PROBES} more sites not probed` : '';
  if (unconfirmed.length === 0) return pass('user map sites', `D3 answered a read in ${confirmed.join(', ')}${rest}`);
  return warn(
    'user map sites',
    `D3 answered in ${confirmed.join(', ')}; not in ${unconfirmed.join('; ')}${rest}`,
    'check those site names in the user map against D3 (exact spelling), and that their users are granted the key; D3 may also refuse because the incident is in another site',
  );
}

export const newD3Agent = () => new Agent({ connections: 4 });
