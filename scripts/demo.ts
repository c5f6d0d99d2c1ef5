/**
 * `npm run demo`: the real app between a fake D3 and a fake Slack Web API on loopback, with
 * throwaway secrets. It replays a recorded /close-incident request and a recorded modal
 * submission, signed as Slack signs them, and prints what the incident channel would show.
 * No credentials, no network beyond 127.0.0.1.
 */
import { type Harness, startHarness } from '../test/support/harness.ts';
import { submitWith, useShortcut } from '../test/support/surfaces.ts';
import { demoPreviewAndReason } from './demo-preview.ts';

type Block = {
  type: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: { text?: string }[];
};

const bar = '─'.repeat(72);

function render(blocks: Block[] | undefined, fallback: unknown): string {
  if (!blocks?.length) return String(fallback);
  const lines: string[] = [];
  for (const b of blocks) {
    if (b.type === 'header' && b.text) lines.push(`▌ ${b.text.text}`);
    if (b.type === 'section' && b.text) lines.push(b.text.text);
    if (b.type === 'section' && b.fields) lines.push(...b.fields.map((f) => `  ${f.text.replace(/\n/g, ' ')}`));
    if (b.type === 'context' && b.elements) lines.push(...b.elements.map((e) => `  (${e.text ?? ''})`));
    if (b.type === 'divider') lines.push('  ·');
  }
  return lines.join('\n');
}

function showChannel(h: Harness, from: number): void {
  for (const call of h.slack.calls('chat.postMessage').slice(from)) {
    console.log(`#${call.args.channel} — closure summary posted by the bot:`);
    console.log(render(call.args.blocks as Block[] | undefined, call.args.text));
    console.log(`\n  plain-text fallback: ${String(call.args.text).replace(/\n/g, ' | ')}`);
  }
}

/** "Close incident" on a D3 alert message: numbers found, modal pre-filled, summary in the alert's thread. */
async function shortcutStep(h: Harness): Promise<void> {
  console.log(`\n${bar}\n4) An analyst uses "Close incident" (message shortcut) on a D3 alert in #soc-alerts`);
  const opened = h.slack.calls('views.open').length;
  await useShortcut(h, { message: { text: 'D3 SOAR: incident 20200527-244 escalated (host WS-0193)' } });
  await h.slack.waitFor(() => h.slack.calls('views.open').length === opened + 1, 5_000);
  const view = h.slack.calls('views.open')[opened]?.args.view as {
    blocks: Array<{ element?: { initial_value?: string } }>;
  };
  console.log(`   The form opens with the number found in the alert: ${view.blocks[0]?.element?.initial_value}`);
  console.log(
    `   and the note carries the alert's link:${view.blocks[1]?.element?.initial_value?.replace(/\n/g, ' ')}`,
  );
  const threadTs = '1716716400.000200';
  const posts = h.slack.calls('chat.postMessage').length;
  await submitWith(h, {
    meta: { channel: 'C1234', threadTs },
    incident: '20200527-244',
    note: 'Benign: patch scanner.',
  });
  await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === posts + 1, 10_000);
  const post = h.slack.calls('chat.postMessage')[posts]!.args;
  console.log(
    `   The summary is a reply in the alert's thread (thread_ts ${post.thread_ts}), not a new channel message:`,
  );
  showChannel(h, posts);
}

/** Five incidents in one command through CloseIncidentInBulk; D3 refuses one of them. */
async function demoBulk(): Promise<void> {
  const h = await startHarness({ env: { LOG_LEVEL: 'warn', D3_CLOSE_COMMAND: 'CloseIncidentInBulk' } });
  try {
    const numbers = ['20200526-23', '20200526-24', '20200526-25', '20200526-26', '20200526-31'];
    h.d3.bulkFaults.set('20200526-25', { fail: 'Required tasks are still pending: Contain host' });
    console.log(`\n6) An alert storm: /close-incident ${numbers.join(',')} duplicate of 20200526-22`);
    console.log('   (D3_CLOSE_COMMAND=CloseIncidentInBulk; the fake D3 refuses 20200526-25)');
    const res = await h.command({ text: `${numbers.join(',')} duplicate of 20200526-22` });
    console.log(`   Slack got the acknowledgement: "${res.text}"`);
    await h.slack.waitFor(() => h.slack.responses().some((r) => JSON.stringify(r).includes('finished')), 10_000);
    console.log(`   D3 received ${h.d3.closeCalls().length} call: ${h.d3.closeCalls()[0]?.rawBody}`);
    const updates = h.slack.responses() as Array<{ text: string; replace_original?: boolean }>;
    console.log(
      `   The analyst's list was updated in place ${updates.length} times (replace_original); the final one:`,
    );
    console.log(`   ${String(updates.at(-1)?.text).replace(/\n/g, '\n   ')}\n`);
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1, 10_000);
    showChannel(h, 0);
    console.log(bar);
  } finally {
    await h.stop();
  }
}

async function main(): Promise<void> {
  const h = await startHarness({ env: { LOG_LEVEL: 'warn' } });
  let failed = false;
  try {
    console.log(bar);
    console.log('close-incident demo: the real app, a fake D3 and a fake Slack on 127.0.0.1');
    console.log(bar);

    console.log('\n1) An analyst types: /close-incident 20200526-23 False positive: benign scanner');
    const res = await h.command({ text: '20200526-23 False positive: benign scanner' });
    console.log(`   Slack got the acknowledgement in ${res.ms.toFixed(0)} ms: HTTP ${res.status} "${res.text}"`);
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1, 10_000);
    const d3Call = h.d3.closeCalls()[0];
    console.log(`   D3 received POST ${d3Call?.path}\n   ${d3Call?.rawBody}\n`);
    showChannel(h, 0);
    await h.slack.waitFor(() => h.slack.responses().length >= 1, 5_000);
    console.log(`\n   The analyst sees (ephemeral): ${(h.slack.responses()[0] as { text?: string }).text}`);

    console.log(`\n${bar}\n2) Another analyst runs /close-incident with no text, fills the modal and submits it`);
    await h.command({ text: '', user_id: 'U5678' });
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1, 5_000);
    console.log('   The bot opened the modal (views.open) with the channel sealed in private_metadata.');
    const sub = await h.submit({
      userId: 'U5678',
      values: { incident: 'TEST-INCIDENT-73', note: 'Contained: reimaged WS-0193.\nNo data left the host.' },
    });
    console.log(`   Submission acknowledged: HTTP ${sub.status} (empty body closes the modal)`);
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 2, 10_000);
    console.log(`   D3 received: ${h.d3.closeCalls()[1]?.rawBody}\n`);
    showChannel(h, 1);
    await h.slack.waitFor(() => h.slack.calls('chat.postEphemeral').length >= 1, 5_000);
    console.log(`\n   The analyst sees (ephemeral): ${h.slack.calls('chat.postEphemeral')[0]?.args.text}`);

    console.log(`\n${bar}\n3) A modal submitted with a malformed number and an empty note`);
    const bad = await h.submit({ values: { incident: 'not a number!', note: null } });
    console.log(`   Slack shows these errors in place: ${bad.text}`);
    console.log(`   D3 calls so far: ${h.d3.closeCalls().length} (the bad submission made none)`);
    await shortcutStep(h);
    await demoPreviewAndReason(bar);
    console.log(bar);
    await demoBulk();
  } catch (e) {
    failed = true;
    console.error('demo failed:', e instanceof Error ? e.message : e);
    console.error(h.logs());
  } finally {
    await h.stop();
  }
  process.exit(failed ? 1 : 0);
}

void main();
