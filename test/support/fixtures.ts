import { readFileSync } from 'node:fs';

const slackDir = new URL('../fixtures/slack/', import.meta.url);

/** Field overrides for a slash command; `undefined` removes the field (Slack omits some, e.g. enterprise_id). */
export type SlashCommandPatch = Record<string, string | undefined>;

export interface ViewSubmissionPatch {
  /** `null` is what Slack sends for an input left empty. */
  values?: { incident?: string | null; note?: string | null };
  privateMetadata?: string;
  userId?: string;
  viewId?: string;
}

interface ViewSubmission {
  user: { id: string };
  view: {
    id: string;
    private_metadata: string;
    state: { values: Record<string, Record<string, { type?: string; value?: string | null }>> };
  };
}

function readFixture(name: string, ext: string): string {
  const file = name.includes('.') ? name : `${name}${ext}`;
  return readFileSync(new URL(file, slackDir), 'utf8').trim();
}

/** The recorded form fields of a slash command with `patch` applied, in Slack's order (new fields last). */
export function slashCommandPayload(name: string, patch: SlashCommandPatch = {}): Record<string, string> {
  const params = new URLSearchParams(readFixture(name, '.form'));
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) params.delete(key);
    else params.set(key, value);
  }
  return Object.fromEntries(params);
}

/** The raw x-www-form-urlencoded body of a slash command, as Slack POSTs it (spaces as `+`). */
export function slashCommandBody(name: string, patch: SlashCommandPatch = {}): string {
  return new URLSearchParams(slashCommandPayload(name, patch)).toString();
}

/** The recorded view_submission object with `patch` applied; Socket Mode delivers this object as-is. */
export function viewSubmissionPayload(name: string, patch: ViewSubmissionPatch = {}): Record<string, unknown> {
  const payload = JSON.parse(readFixture(name, '.json')) as ViewSubmission & Record<string, unknown>;
  const values = payload.view.state.values;
  setInput(values, 'incident_block', 'incident_input', patch.values?.incident);
  setInput(values, 'note_block', 'note_input', patch.values?.note);
  if (patch.privateMetadata !== undefined) payload.view.private_metadata = patch.privateMetadata;
  if (patch.userId !== undefined) payload.user.id = patch.userId;
  if (patch.viewId !== undefined) payload.view.id = patch.viewId;
  return payload;
}

/** The raw body Slack POSTs for interactivity: `payload=<urlencoded JSON>`. */
export function viewSubmissionBody(name: string, patch: ViewSubmissionPatch = {}): string {
  return new URLSearchParams({ payload: JSON.stringify(viewSubmissionPayload(name, patch)) }).toString();
}

function setInput(
  values: ViewSubmission['view']['state']['values'],
  blockId: string,
  actionId: string,
  value: string | null | undefined,
): void {
  if (value === undefined) return;
  values[blockId] ??= {};
  values[blockId][actionId] = { type: 'plain_text_input', value };
}
