import { CloseError } from '../domain/errors.ts';
import type { CloseCommand, IncidentState } from '../domain/ports.ts';
import type { Closure } from '../domain/types.ts';
import { parseD3Date } from './dates.ts';

/** What the bot knows about the close it sent, to judge whether a closed incident is its doing. */
export interface AttributionContext {
  /** Wall-clock ms when this request's first close call started. */
  firstSentAt: number;
  /** How far D3's clock may be behind ours (D3_CLOCK_SKEW_MS). */
  clockSkewMs: number;
  /** D3_TIMEZONE: how to read a DateClosed that names no zone. */
  timeZone?: string;
  /** The D3 username the bot acted as. */
  username: string;
  /** The name D3 shows for that user (users.yml `displayName`), when the operator gave it. */
  displayName?: string;
  /** Wall-clock ms when the state was read: no closure of ours can be dated later than that. */
  checkedAt?: number;
}

export type Attribution =
  /** DateClosed is no earlier than our first call and ClosedBy does not name someone else. */
  | { by: 'this_request'; reason: string }
  /** ClosedBy names someone else, or DateClosed is clearly before our first call. */
  | { by: 'someone_else'; reason: string }
  /** Neither proven: the analyst is told what D3 shows and nothing is announced. */
  | { by: 'unknown'; reason: string };

const same = (a: string, b: string) => a.toLowerCase().replace(/\s+/g, '') === b.toLowerCase().replace(/\s+/g, '');

function when(state: IncidentState, ctx: AttributionContext): 'after' | 'before' | 'unknown' {
  if (!state.dateClosed) return 'unknown';
  const at = parseD3Date(state.dateClosed, ctx.timeZone);
  if (!at) return 'unknown';
  const from = ctx.firstSentAt - ctx.clockSkewMs;
  // A date past the state check (beyond the margin) is one D3's clock or format disagrees with ours
  // about, by more than the margin allows: it cannot tell "after our first call" from "days ago".
  if (ctx.checkedAt !== undefined && at.earliest > ctx.checkedAt + ctx.clockSkewMs) return 'unknown';
  // Every reading of D3's text (its precision, its zone's possible offsets) must agree.
  if (at.earliest >= from) return 'after';
  if (at.latest <= from) return 'before';
  return 'unknown';
}

/**
 * D3 writes ClosedBy as a display name ("Jordan Vale"), not the login we send ("jdoe"). A name that is
 * neither our login nor the configured display name names someone else only when the display name is
 * known; without it the bot cannot tell "Jordan Vale" from another person, so it proves nothing.
 */
function who(state: IncidentState, ctx: AttributionContext): 'us' | 'absent' | 'other' | 'unnamed' {
  const by = state.closedBy?.trim();
  if (!by) return 'absent';
  if (same(by, ctx.username) || (ctx.displayName && same(by, ctx.displayName))) return 'us';
  return ctx.displayName ? 'other' : 'unnamed';
}

/**
 * After an unknown outcome D3 shows the incident closed: was it this request? Only DateClosed at or
 * after our first close call (less the clock-skew margin) with a ClosedBy that does not contradict
 * counts as ours; an earlier date or another person is someone else's; anything short is unknown.
 */
export function attributeClosure(state: IncidentState, ctx: AttributionContext): Attribution {
  const t = when(state, ctx);
  const w = who(state, ctx);
  const seen = `DateClosed ${t === 'unknown' ? 'unreadable or ambiguous' : `${t} our first call`}, ClosedBy ${w}`;
  if (t === 'before' || w === 'other') return { by: 'someone_else', reason: seen };
  if (t === 'after' && (w === 'us' || w === 'absent')) return { by: 'this_request', reason: seen };
  return { by: 'unknown', reason: seen };
}

/**
 * The gateway's verdict on a closed state: the attribution, overruled to unknown when the bot saw the
 * incident closed moments ago (that closure may be an earlier request's) or lost the incident's lock
 * (another request may be crediting itself with the same closure).
 */
export function judgeClosedState(
  state: IncidentState,
  cmd: CloseCommand,
  firstSentAt: number | undefined,
  o: { clockSkewMs: number; timeZone?: string; checkedAt?: number },
): Attribution {
  if (firstSentAt === undefined) return { by: 'unknown', reason: 'no close was sent' };
  const a = attributeClosure(state, { ...o, firstSentAt, username: cmd.username, displayName: cmd.displayName });
  if (a.by !== 'this_request') return a;
  if (cmd.closedRecently) return { by: 'unknown', reason: 'the bot saw it closed moments ago' };
  if (cmd.signal?.aborted) return { by: 'unknown', reason: 'the incident lock was lost' };
  return a;
}

/** This request's closure, as the state shows it. */
export function closureFromState(cmd: CloseCommand, state: IncidentState): Closure {
  const closure: Closure = { incidentNumber: cmd.incidentNumber, closeType: 'Closed', site: cmd.site, note: cmd.note };
  if (state.closedBy) closure.closedBy = state.closedBy;
  else closure.partial = true;
  if (state.dateClosed) closure.closeDate = state.dateClosed;
  return closure;
}

/** What the analyst is told instead of a closure: D3's ClosedBy and DateClosed, as D3 wrote them. */
export function notCredited(a: Attribution, state: IncidentState): CloseError {
  const detail = { closedBy: state.closedBy, dateClosed: state.dateClosed, reason: a.reason };
  return new CloseError(a.by === 'someone_else' ? 'closed_by_other' : 'closed_unconfirmed', detail);
}
