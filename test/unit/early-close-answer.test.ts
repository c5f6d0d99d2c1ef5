import type { SlashCommand } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { CloseError } from '../../src/domain/errors.ts';
import { earlyCloseAnswer } from '../../src/listeners/close-command.ts';
import type { ListenerDeps } from '../../src/listeners/deps.ts';
import { createLog } from '../../src/log.ts';

/**
 * Which typed commands the HTTP receiver answers before Bolt, and what a failure there does. The close
 * itself is compared with Bolt's path over real HTTP in test/flows/early-close.test.ts; a failure before
 * the acknowledgement has no process boundary to provoke it from, so it is provoked here.
 */
const command = (text: string, patch: Partial<SlashCommand> = {}): SlashCommand =>
  ({
    command: '/close-incident',
    text,
    user_id: 'U1',
    team_id: 'T0001',
    channel_id: 'C1',
    trigger_id: 't1',
    response_url: 'https://hooks.slack.test/r1',
    ...patch,
  }) as SlashCommand;

function deps(o: { busy?: boolean; outsider?: boolean; confirm?: boolean; accept?: ListenerDeps['acceptClose'] } = {}) {
  const recorded: string[] = [];
  const d = {
    rules: {
      noteRequired: true,
      maxNoteLength: 3000,
      allowedChannelIds: [],
      allowedUserGroupIds: [],
      adminUserIds: [],
    },
    log: createLog('silent'),
    confirmBeforeClose: o.confirm ?? false,
    isOutsider: () => o.outsider ?? false,
    newRequestId: () => 'req-1',
    detach: (w: Promise<unknown>) => void w.catch(() => {}),
    refuseWhenBusy: (req: { incidentNumber: string }) =>
      o.busy
        ? { refusal: new CloseError('queue_full'), record: async () => void recorded.push(req.incidentNumber) }
        : undefined,
    acceptClose: o.accept ?? (async () => undefined),
  } as unknown as ListenerDeps;
  return { d, recorded };
}

const noRespond = () => async () => new Response(null);
const noUnexpected = async () => {};

describe('earlyCloseAnswer', () => {
  it('leaves to Bolt what is not a plain close typed from this workspace without the card', () => {
    const early = earlyCloseAnswer(deps().d, noRespond, noUnexpected);
    for (const t of ['', 'help', 'whoami', 'history 20200526-23', '20200526-23,20200526-24 dup', 'map U1 jdoe'])
      expect(early(command(t)), t).toBeUndefined();
    expect(early(command('20200526-23 benign', { command: '/other' }))).toBeUndefined();
    expect(earlyCloseAnswer(deps({ outsider: true }).d, noRespond, noUnexpected)(command('20200526-23 benign'))).toBe(
      undefined,
    );
    expect(earlyCloseAnswer(deps({ confirm: true }).d, noRespond, noUnexpected)(command('20200526-23 benign'))).toBe(
      undefined,
    );
    expect(early(command('20200526-23 benign'))).toEqual({ run: expect.any(Function) });
  });

  it('answers a close while D3 is busy with its refusal at once, audited after', async () => {
    const { d, recorded } = deps({ busy: true });
    const a = earlyCloseAnswer(d, noRespond, noUnexpected)(command('20200526-23 benign'));
    expect(a).toEqual({ answer: expect.stringContaining('20200526-23') });
    expect(recorded).toEqual([]);
    await Promise.resolve();
    await Promise.resolve();
    expect(recorded).toEqual(['20200526-23']);
  });

  it('a failure before the acknowledgement: the error handler tells the analyst, then an empty ack', async () => {
    const boom = new Error('boom');
    const { d } = deps({
      accept: async () => {
        throw boom;
      },
    });
    const reported: unknown[] = [];
    const early = earlyCloseAnswer(d, noRespond, async (e, body) => void reported.push(e, body.response_url));
    const a = early(command('20200526-23 benign'));
    const acks: unknown[][] = [];
    if (!a || !('run' in a)) throw new Error('expected a run');
    await a.run(async (...args: unknown[]) => void acks.push(args));
    expect(reported).toEqual([boom, 'https://hooks.slack.test/r1']);
    expect(acks).toEqual([[]]);
  });

  it('acknowledges "Closing …" with the request the listener would make, and resolves once acknowledged', async () => {
    let given: Record<string, unknown> | undefined;
    let finish = () => {};
    const { d } = deps({
      accept: async (req, acknowledge) => {
        given = req as unknown as Record<string, unknown>;
        await acknowledge();
        await new Promise<void>((r) => {
          finish = r;
        });
        return undefined;
      },
    });
    const a = earlyCloseAnswer(d, noRespond, noUnexpected)(command('20200526-23 benign scanner'));
    if (!a || !('run' in a)) throw new Error('expected a run');
    const acks: unknown[] = [];
    await a.run(async (r) => void acks.push(r));
    expect(acks).toEqual(['Closing 20200526-23…']);
    expect(given).toMatchObject({
      incidentNumber: '20200526-23',
      note: 'benign scanner',
      dedupeKey: 'command:t1',
      slackUserId: 'U1',
      slackTeamId: 'T0001',
      channelId: 'C1',
      responseUrl: 'https://hooks.slack.test/r1',
    });
    finish();
  });
});
