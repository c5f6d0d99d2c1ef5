/** The close form (views.open, and views.update when the incident preview arrives). */
import type { types as slack } from '@slack/bolt';
import type { Disposition } from '../../domain/disposition.ts';
import { INCIDENT_NUMBER_EXAMPLE, INCIDENT_NUMBER_MAX, NOTE_MAX_LENGTH } from '../../domain/limits.ts';
import { ids } from '../../ids.ts';
import { truncate } from './escape.ts';
import { plain } from './kit.ts';
import { type PreviewLine, previewBlocks } from './preview.ts';

/**
 * Everything the close form can be opened or re-rendered with. Stable: the command, the message
 * shortcut and App Home all pre-fill through it.
 */
export interface CloseModalOptions {
  /** Sealed private_metadata (slack/metadata.ts); passed through unchanged on views.update. */
  privateMetadata: string;
  noteRequired: boolean;
  /** Incident numbers to pre-fill, one per line (several make a bulk close). */
  numbers?: string[];
  /** One number (the command's `/close-incident <number>`); same as `numbers: [incidentNumber]`. */
  incidentNumber?: string;
  note?: string;
  /** The close reasons offered (DISPOSITIONS); no select when empty. */
  dispositions?: Disposition[];
  dispositionRequired?: boolean;
  /** Pre-selected close reason: a short form or a D3 name from `dispositions`. */
  disposition?: string;
  /** The incident preview shown under the numbers (block_actions → views.update). */
  preview?: PreviewLine[];
  /** Replaces the number field's hint (e.g. "no incident number was found in that message"). */
  incidentHint?: string;
  /** Blocks after the note (App Home's channel picker). */
  extraBlocks?: slack.KnownBlock[];
}

// Incident numbers are short; one per line for up to BULK_MAX of them stays far below Slack's 3000.
const NUMBERS_MAX_LENGTH = 3000;

export function closeModal(o: CloseModalOptions): slack.ModalView {
  const numbers = o.numbers ?? (o.incidentNumber ? [o.incidentNumber] : []);
  const initial = truncate(numbers.join('\n'), NUMBERS_MAX_LENGTH, '');
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
        hint: plain(
          o.incidentHint ??
            `One per line. Letters, digits, - and _, with at least one digit (up to ${INCIDENT_NUMBER_MAX}).`,
        ),
        // The preview comes as the analyst types: Slack sends block_actions for this input.
        dispatch_action: true,
        element: {
          type: 'plain_text_input',
          action_id: ids.incidentInput,
          multiline: true,
          max_length: NUMBERS_MAX_LENGTH,
          placeholder: plain(INCIDENT_NUMBER_EXAMPLE),
          dispatch_action_config: { trigger_actions_on: ['on_character_entered'] },
          // Input values are shown as typed; Slack does not decode entities in them.
          ...(initial ? { initial_value: initial } : {}),
        },
      },
      ...previewBlocks(o.preview ?? []),
      ...dispositionBlocks(o),
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

function dispositionBlocks(o: CloseModalOptions): slack.KnownBlock[] {
  const list = o.dispositions ?? [];
  if (list.length === 0) return [];
  const option = (d: Disposition): slack.PlainTextOption => ({ text: plain(truncate(d.name, 75)), value: d.short });
  const g = o.disposition?.trim().toLowerCase();
  const chosen = g ? list.find((d) => d.short.toLowerCase() === g || d.name.toLowerCase() === g) : undefined;
  return [
    {
      type: 'input',
      block_id: ids.dispositionBlock,
      label: plain('Close reason'),
      ...(o.dispositionRequired ? {} : { optional: true }),
      element: {
        type: 'static_select',
        action_id: ids.dispositionSelect,
        placeholder: plain('Choose a close reason'),
        options: list.map(option),
        ...(chosen ? { initial_option: option(chosen) } : {}),
      },
    },
  ];
}
