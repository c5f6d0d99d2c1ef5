/** App Home (views.publish): who the analyst acts as in D3, their latest close attempts, the close button. */
import type { types as slack } from '@slack/bolt';
import type { AuditRecord, Identity } from '../../domain/types.ts';
import { ids } from '../../ids.ts';
import { slackDateOfIso } from './dates.ts';
import { safeUserText } from './escape.ts';
import { outcomeWord } from './history.ts';
import { mrkdwn, plain } from './kit.ts';

/** The modal's channel picker error, when a close from App Home has nowhere to announce. */
export const chooseChannelText = 'Choose the channel the closure summary should be posted in.';

const SOURCE: Record<Identity['source'], string> = {
  file: 'the user map file',
  override: 'an admin override (/close-incident map)',
  email: 'your Slack profile email, matched in the user map',
};

export const HOME_RECENT_MAX = 10;

function identityText(identity: Identity | undefined, supportContact: string | undefined): string {
  if (!identity) {
    const contact = supportContact?.trim() ? safeUserText(supportContact.trim()) : 'your Slack admin';
    return `*You are not mapped to a D3 user*, so the bot cannot close incidents for you. Ask ${contact} to add you to the user map.`;
  }
  return (
    `*You act in D3 as* ${safeUserText(identity.username)} on site ${safeUserText(identity.site)}.\n` +
    `_Where that comes from:_ ${SOURCE[identity.source]}.`
  );
}

function recentLine(r: AuditRecord): string {
  const code = r.code ? ` (${safeUserText(r.code)})` : '';
  return `• ${slackDateOfIso(r.at)} — *${safeUserText(r.incidentNumber)}* — ${outcomeWord(r.outcome)}${code}`;
}

/** The Home tab; the records are the analyst's own, newest first. */
export function homeView(o: {
  identity: Identity | undefined;
  records: readonly AuditRecord[];
  supportContact?: string;
  /** The store could not be read: say so instead of showing an empty list as if nothing happened. */
  recordsUnavailable?: boolean;
}): slack.HomeView {
  const recent = o.records.slice(0, HOME_RECENT_MAX);
  const list = o.recordsUnavailable
    ? '_Your recent close attempts cannot be read right now (the bot’s store did not answer). Try again later._'
    : recent.length === 0
      ? '_No close attempts by you on record._'
      : recent.map(recentLine).join('\n');
  return {
    type: 'home',
    blocks: [
      { type: 'header', text: plain('Close D3 incidents') },
      { type: 'section', text: mrkdwn(identityText(o.identity, o.supportContact)) },
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: ids.homeCloseButton, text: plain('Close an incident'), style: 'primary' },
        ],
      },
      { type: 'divider' },
      { type: 'section', text: mrkdwn(`*Your last ${HOME_RECENT_MAX} close attempts*\n${list}`) },
      {
        type: 'context',
        elements: [
          mrkdwn(
            'Type `/close-incident help` in any channel for every way to close, or use *Close incident* on an alert message.',
          ),
        ],
      },
    ],
  };
}

/** The channel picker for a close opened from App Home (it has no channel of its own). */
export function channelPicker(required: boolean): slack.KnownBlock {
  return {
    type: 'input',
    block_id: ids.channelBlock,
    label: plain('Post the summary in'),
    ...(required ? {} : { optional: true }),
    hint: plain(
      required
        ? 'The incident’s own channel is used instead when it exists.'
        : 'Leave empty to post in the incident’s own channel (when it exists) or the SOC feed.',
    ),
    element: {
      type: 'conversations_select',
      action_id: ids.channelInput,
      filter: { include: ['public', 'private'], exclude_bot_users: true },
    },
  };
}
