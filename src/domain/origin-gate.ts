import type { AuditSubject } from './audit.ts';
import type { CloseError, CloseErrorCode } from './errors.ts';
import { decideOrigin, type Installation, type Origin } from './policy.ts';

/** The request a refusal is about, for its audit record (its request id is given here). */
export type RefusedSubject = Omit<AuditSubject, 'requestId'>;

export interface OriginGateDeps {
  /** The workspace (or org) the bot serves; requests from anywhere else are refused first. */
  installation: Installation;
  recordRefusal(req: AuditSubject, code: CloseErrorCode): Promise<void>;
  newRequestId(): string;
}

/**
 * Refuses a request from outside the installation's workspace or organisation before anything else
 * runs (policy.decideOrigin): `reply` puts the refusal in the acknowledgement, then it is audited.
 * True when the request was refused.
 */
export function createOriginGate(deps: OriginGateDeps) {
  return async function refusedOutsider(
    origin: Origin,
    subject: RefusedSubject,
    reply: (error: CloseError) => Promise<void>,
  ): Promise<boolean> {
    const error = decideOrigin(origin, deps.installation);
    if (!error) return false;
    await reply(error);
    await deps.recordRefusal({ ...subject, requestId: deps.newRequestId() }, error.code);
    return true;
  };
}

export type OriginGate = ReturnType<typeof createOriginGate>;
