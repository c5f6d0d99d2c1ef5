/**
 * What the analyst reads for every outcome. Each CloseErrorCode has its words here (the switch ends
 * in assertNever, so a new code does not compile until it has them). Messages say what happened and
 * what to do next; technical detail (statuses, keys, hints) stays in the log.
 */

import { assertNever, type CloseError, type CloseErrorCode } from '../../domain/errors.ts';
import { INCIDENT_NUMBER_EXAMPLE, INCIDENT_NUMBER_MAX, NOTE_MAX_LENGTH } from '../../domain/limits.ts';
import { ids } from '../../ids.ts';
import { safeUserText, safeUserTextWithin, truncate, userMention } from './escape.ts';

export interface MessageContext {
  incidentNumber?: string;
  /** SUPPORT_CONTACT: whom an analyst asks for access or help. */
  supportContact?: string;
  /** The D3 username the bot acted as, when the closure does not name who closed it. */
  d3Username?: string;
  /** Shown so the analyst can quote it to the operator (internal errors). */
  requestId?: string;
}

const D3_WORDS_MAX = 500;
const FIELD_ERROR_MAX = 150;

const contactOf = (ctx: MessageContext): string =>
  ctx.supportContact?.trim() ? safeUserText(ctx.supportContact.trim()) : 'your Slack admin';

function waitWords(retryAfterS: number | undefined): string {
  if (retryAfterS === undefined || retryAfterS <= 0 || retryAfterS > 90) return 'in a minute';
  return `in about ${Math.ceil(retryAfterS)} seconds`;
}

/** D3's own words, quoted and escaped, followed by a space; nothing when it said none. */
const words = (said: string | undefined) => (said?.trim() ? `“${safeUserTextWithin(said.trim(), D3_WORDS_MAX)}” ` : '');

/** " by Pat Lee on 2020-05-20 08:15" as D3 shows it, each part only when D3 gave it. */
function closedWords(d: CloseError['detail']): string {
  const by = d.closedBy?.trim() ? ` by ${safeUserTextWithin(d.closedBy.trim(), D3_WORDS_MAX)}` : '';
  const on = d.dateClosed?.trim() ? ` on ${safeUserTextWithin(d.dateClosed.trim(), D3_WORDS_MAX)}` : '';
  return `${by}${on}`;
}

/** The analyst-facing sentence for a refusal or failure. */
export function errorMessage(error: CloseError, ctx: MessageContext): string {
  const n = ctx.incidentNumber ? safeUserText(ctx.incidentNumber) : 'the incident';
  const contact = contactOf(ctx);
  const d = error.detail;
  const code: CloseErrorCode = error.code;
  switch (code) {
    case 'bad_incident_number': {
      const rule = `Use letters, digits, - and _ with at least one digit, e.g. ${INCIDENT_NUMBER_EXAMPLE}.`;
      return `That is not a valid incident number, so nothing was closed. ${d.reason ? `${safeUserText(d.reason)} ` : ''}${rule}`;
    }
    case 'note_missing':
      return `A closing note is required, so ${n} was not closed. Add a note after the number, or run ${ids.command} alone to use the form.`;
    case 'note_too_long':
      return `The note is longer than ${NOTE_MAX_LENGTH} characters, so ${n} was not closed. Shorten it and try again.`;
    case 'bad_metadata':
      return `The bot could not tell where this form was opened, so nothing was closed. Run ${ids.command} again to open a fresh form.`;
    case 'user_unmapped':
      return `You are not mapped to a D3 user, so nothing was closed. Ask ${contact} to add you to the user map.`;
    case 'user_no_site':
      return `Your D3 mapping has no site, so the bot cannot close ${n} for you. Nothing was closed; ask ${contact} to add a site to your mapping.`;
    case 'channel_not_allowed':
      return `Incidents cannot be closed from this channel, so ${n} was not closed. Run the command in an incident channel the bot is set up for, or ask ${contact}.`;
    case 'user_not_in_group':
      return `You are not in a Slack group that may close incidents, so ${n} was not closed. Ask ${contact} for access.`;
    case 'not_admin':
      return `Only the bot's admins can change the user map, so nothing was changed. Ask ${contact}.`;
    case 'foreign_workspace':
      return `This bot only takes requests from the Slack workspace it is installed in, and yours came from another workspace or organisation, so nothing was done. Ask ${contact} if you need it.`;
    case 'close_in_progress': {
      const who = d.holder ? userMention(d.holder) : 'Someone';
      return `${who} is already closing ${n}. Wait for that result before trying again.`;
    }
    case 'duplicate_request': {
      if (d.count === undefined)
        return `This request to close ${n} was already received, so it was not sent to D3 again; its result is (or will be) shown to you separately.`;
      // A list is not in the durable queue: after a crash its results may never reach the analyst.
      const lost = 'the bot may have restarted while closing';
      return ctx.incidentNumber
        ? `${n} was already asked for by this same request (a Slack retry or a second submit), so it was not sent to D3 again. Its result is shown separately; if it never arrives (${lost} it), check ${n} with ${ids.command} history ${n} or in D3 before closing it again.`
        : `This list of ${d.count} incidents was already received, so none of them was sent to D3 again. Its results are shown separately; if they never arrive (${lost} them), check each incident with ${ids.command} history and its number, or in D3, before closing it again.`;
    }
    case 'queue_full':
      return `There are too many closes at once, so ${n} was not sent to D3. Retry in a few seconds.`;
    case 'bulk_too_many':
      return `That is ${d.count ?? 'more than the limit of'} incident numbers; one request closes at most ${d.limit ?? 'the configured number'}, so nothing was closed. Split the list and send each part.`;
    case 'close_deferred':
      return `Something went wrong inside the bot while closing ${n} (its store did not answer, most often). Your close is kept and will be finished (D3 is asked first if it may have got it); you will be told the result here, or by direct message after 30 minutes. Do not close it again meanwhile.`;
    case 'close_handed_over':
      return `This bot instance is restarting before ${n} reached D3. Your close is kept and another instance (or this one once restarted) will send it; you will be told the result here, or by direct message after 30 minutes. Do not close it again meanwhile.`;
    case 'd3_rejected':
      return d.d3Message?.trim()
        ? `D3 refused to close ${n}: “${safeUserTextWithin(d.d3Message.trim(), D3_WORDS_MAX)}”. Nothing was changed in Slack.`
        : `D3 refused to close ${n} without saying why. Nothing was changed in Slack; check the incident in D3.`;
    case 'd3_bad_request':
      return `D3 did not accept the request to close ${n}, so it was not closed. Check the number and note; if they look right, ask ${contact} to check the bot's D3 settings.`;
    case 'd3_unauthorized':
      return `D3 did not accept the bot's credentials, so ${n} was not closed. Your D3 admin or the bot's operator needs to check the bot's D3 key.`;
    case 'd3_forbidden':
      return `D3 did not allow the bot to close ${n}, so it was not closed. Your D3 admin needs to check what the bot's D3 user may do on that site.`;
    case 'd3_rate_limited':
      return `D3 is busy, so ${n} was not closed; try again ${waitWords(d.retryAfterS)}.`;
    case 'd3_unavailable':
      return `D3 is not available right now, so ${n} was not closed. Try again in a few minutes; if it keeps happening, tell ${contact}.`;
    case 'd3_unreachable':
      return `The bot could not reach D3, so ${n} was not closed. Try again in a few minutes; if it keeps happening, tell ${contact}.`;
    case 'd3_outcome_unknown':
      if (d.d3Answered && d.stateUnread)
        return `D3 answered ${words(d.d3Message)}to the request to close ${n}, which does not confirm a closure, and the bot could not read the incident's state to find out. Check ${n} in D3 before trying again.`;
      if (d.stateUnread)
        return `The bot could not tell whether D3 closed ${n}: the request got no clear answer, and the incident's state could not be read either. Check the incident in D3 before trying again.`;
      return `The bot could not tell whether D3 closed ${n}. Check the incident in D3 before trying again.`;
    case 'd3_still_open':
      return `D3 answered ${words(d.d3Message)}to the request to close ${n}, and D3 shows it still open, so it is not closed and nothing was posted. Check the incident in D3 (required tasks, your rights on it) before trying again.`;
    case 'closed_by_other':
      return `D3 shows ${n} closed${closedWords(d)}; your note was not added. Nothing was posted in the channel; if ${n} should be open, reopen it in D3.`;
    case 'closed_unconfirmed':
      return `D3 shows ${n} closed${closedWords(d)}, but the bot cannot confirm that your request closed it, so nothing was posted in the channel. Check the incident's notes in D3 for your note, and add it there if it is missing.`;
    case 'lock_lost':
      return `The bot lost its hold on ${n} while closing it (another close of it may have started), so it sent nothing more to D3 and posted nothing. ${n} may or may not be closed: check it in D3 before trying again.`;
    case 'd3_bad_reply':
      return `D3 answered, but not in a way the bot understands, so the closure of ${n} was not announced. Check the incident in D3 before trying again.`;
    case 'disposition_unknown':
      return `“${safeUserText(d.reason ?? '')}” is not a close reason the bot knows, so ${n} was not closed. Use one of: ${safeUserText(d.allowed ?? '')}, e.g. ${ids.command} ${n} ${safeUserText(d.allowed?.split(',')[0]?.trim() ?? 'fp')}: your note.`;
    case 'disposition_missing':
      return `A close reason is required, so ${n} was not closed. Put it before the note, e.g. ${ids.command} ${n} ${safeUserText(d.allowed?.split(',')[0]?.trim() ?? 'fp')}: your note (allowed: ${safeUserText(d.allowed ?? '')}), or run ${ids.command} alone to use the form.`;
    case 'disposition_not_set':
      return `D3 did not set the close reason on ${n}${d.d3Message?.trim() ? `: ${words(d.d3Message)}`.trimEnd() : ''}, so ${n} was not closed. Check the reason is one your D3 lists, then try again.`;
    case 'incident_other_site': {
      const theirs = safeUserText(d.incidentSite ?? 'another site');
      const yours = safeUserText(d.userSite ?? 'yours');
      return `${n} belongs to the D3 site ${theirs}, not to your site ${yours}, so it was not closed. Ask someone on ${theirs} to close it, or ask ${contact} to change your mapping.`;
    }
    case 'confirm_expired':
      return `This preview is older than 10 minutes, so the button no longer closes anything and ${n} was not closed. Run the command again for a fresh preview.`;
    case 'confirm_used':
      return `This preview's button was already used, so nothing more was sent to D3; the first click's result is shown separately. If it says ${n} was not closed, run the command again for a fresh preview.`;
    case 'confirm_spent':
      return `There are too many closes at once, so ${n} was not sent to D3, and the bot could not reset this preview's Close button (its store did not answer), so the button no longer closes anything. Run the command again in a few seconds for a fresh preview.`;
    case 'confirm_pending':
      return `Closing ${n} is taking longer than usual (the bot's store or D3 is slow), so the bot cannot say yet whether it is closed; it may still be. Do not click Close again: the result should follow here, and a closure is announced in the channel. If nothing arrives within a minute, check ${n} with ${ids.command} history ${n} or in D3 before closing it again.`;
    case 'internal': {
      const ref = ctx.requestId ? ` (reference ${safeUserText(ctx.requestId)})` : '';
      if (d.count !== undefined && !ctx.incidentNumber)
        return `Something went wrong inside the bot${ref}, so some or all of these ${d.count} incidents may not have been closed. Check each in D3 (or with ${ids.command} history and its number) before closing it again; if it keeps happening, tell ${contact}.`;
      return `Something went wrong inside the bot${ref}, so ${n} may not have been closed. Check the incident in D3; if it keeps happening, tell ${contact}.`;
    }
    default:
      return assertNever(code);
  }
}

/** Short text for an inline error under a modal field (Slack shows at most about 150 characters). */
export function fieldErrorText(code: CloseErrorCode): string {
  const text = ((): string => {
    switch (code) {
      case 'bad_incident_number':
        return `Use letters, digits, - and _ only, with at least one digit (up to ${INCIDENT_NUMBER_MAX} characters).`;
      case 'note_missing':
        return 'A closing note is required.';
      case 'note_too_long':
        return `Keep the note to ${NOTE_MAX_LENGTH} characters or fewer.`;
      case 'bad_metadata':
        return `This form has expired. Close it and run ${ids.command} again.`;
      case 'user_unmapped':
        return 'You are not mapped to a D3 user; ask your Slack admin.';
      case 'user_no_site':
        return 'Your D3 mapping has no site; ask your Slack admin.';
      case 'channel_not_allowed':
        return 'Incidents cannot be closed from this channel.';
      case 'user_not_in_group':
        return 'You are not allowed to close incidents.';
      case 'not_admin':
        return 'Only the bot admins can do this.';
      case 'foreign_workspace':
        return 'This bot only takes requests from the workspace it is installed in.';
      case 'close_in_progress':
        return 'Someone is already closing this incident.';
      case 'duplicate_request':
        return 'This request is already being handled.';
      case 'queue_full':
        return 'Too many closes at once; retry in a few seconds.';
      case 'bulk_too_many':
        return 'Too many incident numbers at once; split the list.';
      case 'close_handed_over':
        return 'The bot is restarting; your close is kept and will be sent. Wait for its result.';
      case 'close_deferred':
        return 'Something went wrong; your close is kept and will be finished. Wait for its result.';
      case 'd3_rejected':
      case 'd3_bad_request':
        return 'D3 refused to close this incident.';
      case 'd3_unauthorized':
      case 'd3_forbidden':
        return 'D3 did not let the bot close this incident.';
      case 'd3_rate_limited':
        return 'D3 is busy; try again in a minute.';
      case 'd3_unavailable':
      case 'd3_unreachable':
        return 'D3 cannot be reached right now; try again in a few minutes.';
      case 'd3_outcome_unknown':
      case 'd3_bad_reply':
      case 'lock_lost':
        return 'Unclear whether D3 closed it; check the incident in D3 first.';
      case 'd3_still_open':
        return 'D3 did not close this incident; it is still open.';
      case 'closed_by_other':
        return 'D3 shows this incident closed by someone else; your note was not added.';
      case 'closed_unconfirmed':
        return 'D3 shows it closed, but not that this request did it; check D3.';
      case 'internal':
        return 'Something went wrong; check the incident in D3.';
      case 'disposition_unknown':
        return 'Choose a close reason from the list.';
      case 'disposition_missing':
        return 'A close reason is required.';
      case 'disposition_not_set':
        return 'D3 did not set the close reason, so nothing was closed.';
      case 'incident_other_site':
        return 'This incident belongs to another D3 site than yours.';
      case 'confirm_expired':
        return 'This preview has expired; run the command again.';
      case 'confirm_used':
        return 'This preview was already used.';
      case 'confirm_spent':
        return 'Too many closes at once, and this preview no longer closes; run the command again.';
      case 'confirm_pending':
        return 'Still closing; check history or D3 before closing it again.';
      default:
        return assertNever(code);
    }
  })();
  return truncate(text, FIELD_ERROR_MAX);
}

/** For an error nothing else caught (app.ts's error handler): the reference to quote, and what to check. */
export function unexpectedErrorText(ref: string): string {
  return `Something went wrong on our side (ref ${ref}). If you were closing an incident, check it in D3 before trying again.`;
}

/** The ack when a listener threw before acknowledging (slack/dispatch.ts). */
export const listenerFailedText = 'Something went wrong on our side; nothing was closed. Please try again.';
