import { readFileSync } from 'node:fs';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { viewSubmissionPayload } from './fixtures.ts';
import { botToken, type Harness } from './harness.ts';

const slackDir = new URL('../fixtures/slack/', import.meta.url);
const read = (name: string) => JSON.parse(readFileSync(new URL(name, slackDir), 'utf8')) as Record<string, unknown>;
const asForm = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

/** The recorded message shortcut on `message` (patched into the recording's message), signed as Slack does. */
export function useShortcut(h: Harness, patch: { message?: Record<string, unknown>; channel?: string } = {}) {
  const payload = read('message-shortcut.json');
  if (patch.message) payload.message = { ts: '1716716400.000200', type: 'message', ...patch.message };
  if (patch.channel) payload.channel = { id: patch.channel, name: 'alerts' };
  payload.response_url = h.slack.responseUrl('shortcut');
  return h.raw(asForm(payload));
}

/** The recorded app_home_opened event for `user` (Events API: JSON). */
export function openHome(h: Harness, user = 'U1234') {
  const body = read('app-home-opened.json');
  body.event = { ...(body.event as object), user };
  return h.raw(JSON.stringify(body), { contentType: 'application/json' });
}

/** The recorded click on App Home's "Close an incident". */
export function clickHomeClose(h: Harness, user = 'U1234') {
  const payload = read('home-close-button.json');
  payload.user = { ...(payload.user as object), id: user };
  return h.raw(asForm(payload));
}

/** A modal submission carrying the metadata the app sealed (thread, Home) and, from Home, a picked channel. */
export function submitWith(
  h: Harness,
  o: {
    meta: Parameters<ReturnType<typeof createMetadataSealer>['seal']>[0];
    incident: string;
    note: string;
    picked?: string;
  },
) {
  const payload = viewSubmissionPayload('close-modal-submit.json', {
    privateMetadata: createMetadataSealer(botToken).seal(o.meta)!,
    values: { incident: o.incident, note: o.note },
    viewId: `V${Date.now()}`,
  }) as { view: { state: { values: Record<string, unknown> } } };
  if (o.picked !== undefined)
    payload.view.state.values.summary_channel_block = {
      summary_channel_input: { type: 'conversations_select', selected_conversation: o.picked },
    };
  return h.raw(asForm(payload));
}
