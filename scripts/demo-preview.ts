/** `npm run demo`, step 4: the preview card, a close reason, and "Open in D3" (issue 8 parts 1 and 2). */
import { blockActionBody } from '../test/support/block-actions.ts';
import { startHarness } from '../test/support/harness.ts';

type Block = {
  type: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: Record<string, string>[];
};

const lines = (blocks: Block[]) =>
  blocks.flatMap((b) => [
    ...(b.text ? [`   ${b.text.text}`] : []),
    ...(b.fields ?? []).map((f) => `     ${f.text.replace(/\n/g, ' ')}`),
    ...(b.elements ?? []).map(
      (e) => `     [${(e.text as unknown as { text: string }).text}]${e.url ? ` → ${e.url}` : ''}`,
    ),
  ]);

export async function demoPreviewAndReason(bar: string): Promise<void> {
  const h = await startHarness({
    env: {
      LOG_LEVEL: 'warn',
      D3_PREVIEW: 'true',
      CONFIRM_BEFORE_CLOSE: 'true',
      DISPOSITIONS: 'fp=False Positive,tp=True Positive,dup=Duplicate',
      D3_INCIDENT_URL_TEMPLATE: 'https://soar.example.com/Prod/VSOC/Incident/{number}',
    },
  });
  try {
    console.log(
      `\n${bar}\n5) With CONFIRM_BEFORE_CLOSE=true and close reasons: /close-incident 20200526-41 fp: benign scanner`,
    );
    h.d3.incidents.set('20200526-41', {
      status: 'Open',
      site: 'Security Operations',
      title: 'Port scan from 10.0.4.17',
      severity: 'Low',
    });
    await h.command({ text: '20200526-41 fp: benign scanner' });
    await h.slack.waitFor(() => h.slack.responses().length === 1, 10_000);
    const card = h.slack.responses()[0] as { blocks: Block[] };
    console.log('   The analyst sees a preview card (ephemeral); D3 was only read:');
    console.log(lines(card.blocks).join('\n'));
    const close =
      card.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'confirm_close')?.value ?? '';
    await h.raw(
      blockActionBody('block-actions-confirm.json', { value: close, responseUrl: h.slack.responseUrl('click') }),
    );
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1, 10_000);
    console.log('\n   After Close, D3 received, in order:');
    for (const r of h.d3.requests()) console.log(`     ${r.command}: ${r.rawBody}`);
    console.log('\n   The channel gets the summary:');
    console.log(lines(h.slack.calls('chat.postMessage')[0]!.args.blocks as Block[]).join('\n'));
    await h.slack.waitFor(() => h.slack.responses('click').length === 1, 5_000);
    console.log(`\n   The card is replaced by: ${(h.slack.responses('click')[0] as { text: string }).text}`);
  } finally {
    await h.stop();
  }
}
