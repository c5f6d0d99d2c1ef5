import { readFileSync } from 'node:fs';

const slackDir = new URL('../fixtures/slack/', import.meta.url);

export interface BlockActionPatch {
  /** The typed value (a dispatched input) or the button's value. */
  value?: string;
  actionId?: string;
  userId?: string;
  responseUrl?: string;
  privateMetadata?: string;
}

/** A recorded block_actions payload with `patch` applied, as the raw form body Slack POSTs. */
export function blockActionBody(name: string, patch: BlockActionPatch = {}): string {
  const p = JSON.parse(readFileSync(new URL(name, slackDir), 'utf8')) as {
    user: { id: string };
    response_url?: string;
    view?: { private_metadata: string; state: { values: Record<string, Record<string, { value?: unknown }>> } };
    actions: Array<{ action_id: string; value?: string }>;
  };
  const action = p.actions[0]!;
  if (patch.value !== undefined) {
    action.value = patch.value;
    const typed = p.view?.state.values.incident_block?.incident_input;
    if (typed) typed.value = patch.value;
  }
  if (patch.actionId !== undefined) action.action_id = patch.actionId;
  if (patch.userId !== undefined) p.user.id = patch.userId;
  if (patch.responseUrl !== undefined) p.response_url = patch.responseUrl;
  if (patch.privateMetadata !== undefined && p.view) p.view.private_metadata = patch.privateMetadata;
  return new URLSearchParams({ payload: JSON.stringify(p) }).toString();
}
