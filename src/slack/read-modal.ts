import type { ViewOutput } from '@slack/bolt';
import { SLACK_CHANNEL_ID_STRICT } from '../domain/limits.ts';
import { ids } from '../ids.ts';

/**
 * The two fields of a submitted close modal. Modal input arrives as typed (no Slack escaping);
 * an optional input left empty arrives as null.
 */
export function readCloseModal(view: ViewOutput): {
  incidentNumber: string;
  note: string;
  pickedChannel?: string;
  disposition?: string;
} {
  const values = view.state?.values ?? {};
  const text = (block: string, action: string) => {
    const v = values[block]?.[action]?.value;
    return typeof v === 'string' ? v : '';
  };
  // App Home's channel picker (conversations_select); absent on other modals.
  const picked = values[ids.channelBlock]?.[ids.channelInput]?.selected_conversation;
  // The close reason select (only when DISPOSITIONS are configured): its option value is the short form.
  const chosen = values[ids.dispositionBlock]?.[ids.dispositionSelect]?.selected_option?.value;
  return {
    incidentNumber: text(ids.incidentBlock, ids.incidentInput).trim(),
    note: text(ids.noteBlock, ids.noteInput).trim(),
    ...(typeof picked === 'string' && SLACK_CHANNEL_ID_STRICT.test(picked) && { pickedChannel: picked }),
    ...(typeof chosen === 'string' && chosen !== '' && { disposition: chosen }),
  };
}
