/** Words of the "Close incident" message shortcut's modal. */
import { INCIDENT_NUMBER_EXAMPLE } from '../../domain/limits.ts';

export const noNumberFoundHint = `No incident number was found in that message: type it (e.g. ${INCIDENT_NUMBER_EXAMPLE}).`;

export const severalNumbersHint =
  'Found in the message, one per line: each is closed with the same note. Remove any you do not mean.';

/** The note's first line: where the close came from (the link is plain text in the form, as typed). */
export function noteFromMessage(permalink: string | undefined): string | undefined {
  return permalink ? `\n\nAlert message: ${permalink}` : undefined;
}
