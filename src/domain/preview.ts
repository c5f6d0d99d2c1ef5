/**
 * What the bot checks and sets just before a close, while it holds the incident's lock: the preview
 * read (getIncidentStaticField) and the disposition (SetIncidentFieldsInBulk).
 *
 * The read is a help, never a gate: refused, failed or unreadable, the close goes ahead without it,
 * and the operator gets one warning per kind of failure per process (not one per close). What it can
 * prove stops the close: the incident is already closed, or belongs to another site than the analyst's.
 * The disposition is a gate: if D3 does not set it, nothing is closed.
 */
import type { Log } from '../log.ts';
import type { Disposition } from './disposition.ts';
import { CloseError, isCloseError, isStopRefusal } from './errors.ts';
import type { IncidentFieldSetter, IncidentPreviewer, IncidentState } from './ports.ts';
import type { Closure, Identity } from './types.ts';

export interface PreviewDeps {
  /** Absent when D3_PREVIEW=false: no read at all. */
  previewer?: IncidentPreviewer;
  fields: IncidentFieldSetter;
  /** Called once per failure kind per process (a metric may count every one). */
  onPreviewFailed?: (code: string) => void;
}

/** Sites compare as D3 and the user map write them, ignoring case and surrounding spaces. */
export const sameSite = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** Reads the incident for a preview; undefined when it cannot (the caller goes on without it). */
export function createPreviewReader(deps: Pick<PreviewDeps, 'previewer' | 'onPreviewFailed'>, log: Log) {
  const warned = new Set<string>();
  return async (identity: Identity, incidentNumber: string, requestId: string) => {
    if (!deps.previewer) return undefined;
    try {
      return await deps.previewer.readIncident({
        username: identity.username,
        site: identity.site,
        incidentNumber,
        requestId,
      });
    } catch (e) {
      const code = isCloseError(e) ? e.code : 'internal';
      deps.onPreviewFailed?.(code);
      if (!warned.has(code)) {
        warned.add(code);
        log.warn(
          {
            code,
            status: isCloseError(e) ? e.detail.status : undefined,
            hint: isCloseError(e) ? e.detail.hint : undefined,
          },
          'incident preview (getIncidentStaticField) failed; closes go ahead without it. Check D3_STATE_API_KEY, or set D3_PREVIEW=false. Logged once per kind of failure.',
        );
      }
      return undefined;
    }
  };
}

export type PreviewReader = ReturnType<typeof createPreviewReader>;

export type BeforeClose =
  | { go: true; extra: Pick<Closure, 'title' | 'severity' | 'disposition'> }
  | { go: false; alreadyClosed: Closure }
  | { go: false; error: CloseError; auditCode: string };

/** The read (may stop the close), then the disposition (must succeed), in that order. */
export async function beforeClose(
  deps: PreviewDeps,
  read: PreviewReader,
  c: {
    identity: Identity;
    incidentNumber: string;
    requestId: string;
    note: string;
    disposition?: Disposition;
    signal?: AbortSignal;
  },
): Promise<BeforeClose> {
  const state: IncidentState | undefined = await read(c.identity, c.incidentNumber, c.requestId);
  if (state?.closed) {
    const closure: Closure = {
      incidentNumber: c.incidentNumber,
      site: state.site ?? c.identity.site,
      note: c.note,
      alreadyClosed: true,
    };
    if (state.closedBy) closure.closedBy = state.closedBy;
    if (state.dateClosed) closure.closeDate = state.dateClosed;
    return { go: false, alreadyClosed: closure };
  }
  if (state?.site && !sameSite(state.site, c.identity.site)) {
    const error = new CloseError('incident_other_site', { incidentSite: state.site, userSite: c.identity.site });
    return { go: false, error, auditCode: error.code };
  }
  if (c.disposition) {
    try {
      await deps.fields.setIncidentFields({
        username: c.identity.username,
        site: c.identity.site,
        incidentNumber: c.incidentNumber,
        requestId: c.requestId,
        fields: { Disposition: c.disposition.name },
        signal: c.signal,
      });
    } catch (e) {
      // Never sent (the bot stopping, D3's queue full): said as such, so a graceful stop hands the close
      // over (close-queue.ts) instead of telling the analyst D3 refused the reason.
      const notSent = isCloseError(e) && e.code === 'd3_unavailable' && e.detail.notSent === true;
      if (isCloseError(e) && (e.code === 'queue_full' || isStopRefusal(e) || notSent))
        return { go: false, error: e, auditCode: `disposition_not_set:${e.code}` };
      const d = isCloseError(e) ? e.detail : {};
      const error = new CloseError('disposition_not_set', { d3Message: d.d3Message, status: d.status }, { cause: e });
      return { go: false, error, auditCode: isCloseError(e) ? `disposition_not_set:${e.code}` : 'disposition_not_set' };
    }
  }
  return {
    go: true,
    extra: {
      ...(state?.title && { title: state.title }),
      ...(state?.severity && { severity: state.severity }),
      ...(c.disposition && { disposition: c.disposition.name }),
    },
  };
}
