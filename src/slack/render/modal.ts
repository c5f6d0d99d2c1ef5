/** The close form (views.open). */
import type { types as slack } from '@slack/bolt';
import { INCIDENT_NUMBER_EXAMPLE, INCIDENT_NUMBER_MAX, NOTE_MAX_LENGTH } from '../../domain/limits.ts';
import { ids } from '../../ids.ts';
import { truncate } from './escape.ts';
import { plain } from './kit.ts';

/** The close form, pre-filled from the command when it can be. */
export function closeModal(o: {
  incidentNumber?: string;
  /** Several numbers (a message shortcut), one a line; a bulk close reads them back. */
  incidentNumbers?: string[];
  /** Replaces the number field's hint (e.g. "no incident number was found in that message"). */
  incidentHint?: string;
  note?: string;
  privateMetadata: string;
  noteRequired: boolean;
  /** Blocks after the note (App Home's channel picker). */
  extraBlocks?: slack.KnownBlock[];
}): slack.ModalView {
  const several = (o.incidentNumbers?.length ?? 0) > 1;
  const initialNumbers = o.incidentNumbers?.join('\n') ?? o.incidentNumber;
  return {
    type: 'modal',
    callback_id: ids.closeModal,
    private_metadata: o.privateMetadata,
    title: plain('Close incident'),
    submit: plain('Close incident'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: ids.incidentBlock,
        label: plain('Incident number'),
        hint: plain(o.incidentHint ?? 'Letters, digits, - and _, with at least one digit.'),
        element: {
          type: 'plain_text_input',
          action_id: ids.incidentInput,
          ...(several ? { multiline: true } : { max_length: INCIDENT_NUMBER_MAX }),
          placeholder: plain(INCIDENT_NUMBER_EXAMPLE),
          // Input values are shown as typed; Slack does not decode entities in them.
          ...(initialNumbers
            ? { initial_value: several ? initialNumbers : truncate(initialNumbers, INCIDENT_NUMBER_MAX, '') }
            : {}),
        },
      },
      {
        type: 'input',
        block_id: ids.noteBlock,
        label: plain('Closing note'),
        ...(o.noteRequired ? {} : { optional: true }),
        element: {
          type: 'plain_text_input',
          action_id: ids.noteInput,
          multiline: true,
          max_length: NOTE_MAX_LENGTH,
          ...(o.note ? { initial_value: truncate(o.note, NOTE_MAX_LENGTH, '') } : {}),
        },
      },
      ...(o.extraBlocks ?? []),
    ],
  };
}
