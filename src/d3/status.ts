/** A non-2xx reply from D3, whatever the command: its error code, and how long D3 asks us to wait. */
import { CloseError } from '../domain/errors.ts';
import { clip, isRec, normKeys, type ReplyHeaders, text } from './envelope.ts';

/** Seconds from a Retry-After header (delta-seconds or HTTP-date); undefined when absent or unreadable. */
export function parseRetryAfter(headers: ReplyHeaders, now = Date.now()): number | undefined {
  const raw = headers['retry-after'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * Maps a non-2xx status to its code. Non-200 bodies are `{"Error": "..."}` (capital E); the text is kept
 * in `d3Message` for the operator's log only — the analyst gets a plain sentence for these codes.
 */
export function statusError(status: number, bodyText: string, headers: ReplyHeaders, keyVar = 'D3_API_KEY') {
  const d3Message = errorText(bodyText);
  const base = { status, ...(d3Message && { d3Message }) };
  if (status === 400) return new CloseError('d3_bad_request', base);
  if (status === 401) {
    const hint = `check ${keyVar} / D3_API_KEY_HEADER and that the D3 user is granted the key`;
    return new CloseError('d3_unauthorized', { ...base, hint });
  }
  if (status === 403) return new CloseError('d3_forbidden', { ...base, hint: 'the D3 user lacks rights here' });
  if (status === 404) {
    return new CloseError('d3_bad_request', { ...base, hint: 'check D3_BASE_URL and D3_API_NAMESPACE' });
  }
  if (status === 429) {
    const retryAfterS = parseRetryAfter(headers);
    return new CloseError('d3_rate_limited', {
      ...base,
      notSent: true,
      ...(retryAfterS !== undefined && { retryAfterS }),
    });
  }
  if (status === 503) return new CloseError('d3_unavailable', { ...base, notSent: true });
  // 500 ("Unexpected Error."), 502, 504…: D3 or a proxy may have acted before failing.
  if (status >= 500) return new CloseError('d3_outcome_unknown', base);
  if (status >= 300 && status < 400) {
    return new CloseError('d3_bad_reply', { ...base, hint: 'D3 redirected (login page?); check D3_BASE_URL' });
  }
  return new CloseError('d3_bad_request', base);
}

function errorText(bodyText: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (isRec(parsed)) {
      const n = normKeys(parsed);
      const t = text(n.error) ?? text(n.message);
      if (t) return clip(t);
    }
  } catch {
    // not JSON: fall back to the raw text below
  }
  return text(bodyText) && clip(bodyText);
}
