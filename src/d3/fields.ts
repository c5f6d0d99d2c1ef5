/**
 * Setting incident fields (the disposition) before a close, through the same limiter and retry loop
 * as the close. Unlike a close, a field set is idempotent (setting "False Positive" twice leaves the
 * same incident), so after an unknown outcome (timeout after sending, 5xx, unreadable 200) it is sent
 * again, until D3 answers or the retry deadline passes; then it fails and nothing is closed.
 */
import { CloseError, isCloseError } from '../domain/errors.ts';
import type { IncidentFieldsCommand } from '../domain/ports.ts';
import type { D3Client } from './client.ts';
import type { GatewayLog, Run } from './retry.ts';

type Retrier = <T>(call: 'fields', run: Run, fn: () => Promise<T>) => Promise<T>;

/** CommandParams.Input: one item per incident, each with its own Input object of fields (doc S20). */
export function fieldsBody(cmd: IncidentFieldsCommand): object {
  return {
    Username: cmd.username,
    Site: cmd.site,
    CommandParams: { Input: [{ IncidentNumber: cmd.incidentNumber, Input: { ...cmd.fields } }] },
  };
}

const MAX_SENDS = 3;

export function createFieldSetter(o: {
  client: Pick<D3Client, 'setFields'>;
  withRetries: Retrier;
  retryDeadlineMs: number;
  now: () => number;
  log: GatewayLog;
}) {
  return async function setIncidentFields(cmd: IncidentFieldsCommand): Promise<void> {
    const run: Run = { cmd: { ...cmd, note: '' }, deadline: o.now() + o.retryDeadlineMs };
    for (let sends = 1; ; sends++) {
      try {
        return await o.withRetries('fields', run, () => o.client.setFields(cmd));
      } catch (e) {
        const again =
          isCloseError(e) &&
          (e.code === 'd3_outcome_unknown' || e.code === 'd3_bad_reply' || e.code === 'd3_unavailable') &&
          sends < MAX_SENDS &&
          o.now() < run.deadline &&
          !cmd.signal?.aborted;
        const ctx = { requestId: cmd.requestId, incidentNumber: cmd.incidentNumber, code: isCloseError(e) && e.code };
        if (!again) {
          o.log.warn(ctx, 'D3 did not set the incident fields');
          throw isCloseError(e) ? e : new CloseError('internal', {}, { cause: e });
        }
        o.log.warn(ctx, 'field set outcome unknown; setting them again (idempotent)');
      }
    }
  };
}
