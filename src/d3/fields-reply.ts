/**
 * The reply to SetIncidentFieldsInBulk. D3's page (d3-command-api.md §7, S20) shows the request but
 * not the reply. GUESS, to check on a tenant: the usual envelope, with `returnData` a success word
 * ("Successful", as SetIncidentFields' sample shows) and/or contextData per item with a `Result`
 * like CloseIncidentInBulk's. Only a proven yes resolves: a non-empty `error`, a failure word, or an
 * item for our incident whose Result is not a success word is a refusal (D3's words kept); a 200 that
 * shows neither is d3_bad_reply, which the gateway treats as an unknown outcome.
 */
import { CloseError } from '../domain/errors.ts';
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

const SUCCESS_WORD = /^(succeed|succeeded|success|successful|ok|done|updated)$/i;

export function parseFieldsReply(status: number, bodyText: string, incidentNumber: string, headers: ReplyHeaders = {}) {
  if (status < 200 || status > 299) throw statusError(status, bodyText, headers, 'D3_FIELDS_API_KEY');
  const env = readEnvelope(status, bodyText);
  const error = env.error?.trim() ?? '';
  if (error !== '') throw new CloseError('d3_rejected', { d3Message: clip(error), status });
  const rd = typeof env.returndata === 'string' ? env.returndata.trim() : undefined;
  if (rd && FAILURE_WORD.test(rd)) throw new CloseError('d3_rejected', { d3Message: clip(rd), status });
  const ours = records(env.contextdata).recs.find((r) => {
    const n = text(r.incidentnumber);
    return n !== undefined && sameNumber(n, incidentNumber);
  });
  const result = ours && (text(ours.result) ?? text(ours.status));
  if (result !== undefined && !SUCCESS_WORD.test(result))
    throw new CloseError('d3_rejected', { d3Message: clip(text(ours?.message) ?? result), status });
  if (result !== undefined || (rd !== undefined && SUCCESS_WORD.test(rd))) return;
  throw badReply('field set reply shows no success word', status);
}
