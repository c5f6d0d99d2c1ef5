/** The reply to getIncidentStaticField: the incident's status, who closed it and when. */
import { z } from 'zod';
import { CloseError } from '../domain/errors.ts';
import type { IncidentState } from '../domain/ports.ts';
import {
  badReply,
  clip,
  FAILURE_WORD,
  type ReplyHeaders,
  readEnvelope,
  records,
  sameNumber,
  text,
} from './envelope.ts';
import { statusError } from './status.ts';

// "Closed", "Resolved", "Closed - False Positive"; not "Unresolved" or "Not closed".
export const isClosedStatus = (s: string) => /(?<![a-z])(closed|resolved)(?![a-z])/i.test(s) && !/\bnot\b/i.test(s);

const StateData = z.object({
  casenumber: z.union([z.string(), z.number()]).optional(),
  status: z.string(),
  closedby: z.string().nullish(),
  dateclosed: z.string().nullish(),
  site: z.string().nullish(),
  title: z.string().nullish(),
  severity: z.union([z.string(), z.number()]).nullish(),
  owner: z.string().nullish(),
  assigneename: z.string().nullish(),
  irtypename: z.string().nullish(),
  datecreated: z.string().nullish(),
  disposition: z.string().nullish(),
});

/** Parses a getIncidentStaticField reply: `returnData: { Status, Data: { CaseNumber, Status, ClosedBy… } }`. */
export function parseStateReply(
  status: number,
  bodyText: string,
  incidentNumber: string,
  headers: ReplyHeaders = {},
): IncidentState {
  if (status < 200 || status > 299) throw statusError(status, bodyText, headers, 'D3_STATE_API_KEY');
  const env = readEnvelope(status, bodyText);
  const error = env.error?.trim() ?? '';
  if (error !== '') throw new CloseError('d3_rejected', { d3Message: clip(error), status });
  const rd = records(env.returndata).recs[0];
  const word = rd && text(rd.status);
  if (word && FAILURE_WORD.test(word)) throw new CloseError('d3_rejected', { d3Message: clip(word), status });
  const dataRec = rd && records(rd.data).recs[0];
  const data = StateData.safeParse(dataRec);
  if (!data.success) throw badReply('state reply has no Data.Status', status);
  const d = data.data;
  if (d.casenumber !== undefined && !sameNumber(String(d.casenumber), incidentNumber)) {
    throw badReply(`D3 reported incident ${d.casenumber}, not ${incidentNumber}`, status);
  }
  const state: IncidentState = { incidentNumber, status: d.status, closed: isClosedStatus(d.status) };
  if (text(d.closedby)) state.closedBy = text(d.closedby);
  if (text(d.dateclosed)) state.dateClosed = text(d.dateclosed);
  if (text(d.site)) state.site = text(d.site);
  // Preview fields, kept as D3 wrote them (doc S6 lists them; which are filled varies per tenant).
  const extra = {
    title: text(d.title),
    severity: text(d.severity),
    owner: text(d.owner) ?? text(d.assigneename),
    type: text(d.irtypename),
    dateCreated: text(d.datecreated),
    disposition: text(d.disposition),
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) Object.assign(state, { [k]: clip(v) });
  return state;
}
