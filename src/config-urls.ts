/**
 * URL rules that read more than one setting; loadConfig reports what they return as `NAME: rule`.
 *
 * The bot token travels on SLACK_API_URL and the D3 key on D3_BASE_URL: both must be https, except
 * to this host itself (tests, a local proxy), where nothing crosses a network. For D3 that exception
 * also needs D3_ALLOW_INSECURE_HTTP=true; the flag never opens plain http to another host. The bot
 * appends /<namespace>/api/Command/<command> to D3_BASE_URL, so a query or fragment there would
 * silently swallow that path.
 */
export function urlProblems(e: {
  D3_BASE_URL: string;
  D3_ALLOW_INSECURE_HTTP: boolean;
  SLACK_API_URL?: string;
}): string[] {
  const out: string[] = [];
  const loopbackRule = 'a loopback host (127.0.0.0/8, ::1, localhost)';
  const d3 = new URL(e.D3_BASE_URL);
  if (d3.protocol !== 'https:') {
    if (d3.protocol !== 'http:') out.push('D3_BASE_URL: must use https');
    else if (!isLoopback(d3.hostname))
      out.push(
        `D3_BASE_URL: must use https; plain http is allowed only to ${loopbackRule} with D3_ALLOW_INSECURE_HTTP=true`,
      );
    else if (!e.D3_ALLOW_INSECURE_HTTP)
      out.push('D3_BASE_URL: must use https (plain http to a loopback host needs D3_ALLOW_INSECURE_HTTP=true)');
  }
  if (d3.search !== '' || d3.hash !== '' || e.D3_BASE_URL.includes('?') || e.D3_BASE_URL.includes('#'))
    out.push('D3_BASE_URL: must not have a query string (?…) or fragment (#…); give scheme, host and path prefix only');
  if (d3.username !== '' || d3.password !== '') out.push('D3_BASE_URL: must not contain a user name or password');
  if (e.SLACK_API_URL) {
    const slack = new URL(e.SLACK_API_URL);
    if (slack.protocol !== 'https:' && !(slack.protocol === 'http:' && isLoopback(slack.hostname)))
      out.push(`SLACK_API_URL: must use https; plain http is allowed only to ${loopbackRule}`);
    if (slack.username !== '' || slack.password !== '')
      out.push('SLACK_API_URL: must not contain a user name or password');
  }
  return out;
}

/** 127.0.0.0/8, ::1 and localhost. URL has already normalised the host (`127.1` → `127.0.0.1`, `[::1]`). */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
