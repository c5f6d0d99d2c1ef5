import type { ListenerDeps } from './deps.ts';

/**
 * Runs a close and its reply without Bolt waiting for them: the listener returns as soon as Slack has
 * its acknowledgement (or the work ends first). Bolt keeps every event's state (each listener's
 * middleware chain, its arguments, the request) until the listener returns; held for the seconds a
 * close waits for D3, that state outlived the young generation, and collecting it took most of the
 * major GCs whose pauses set the acknowledgement's p99 under load (npm run bench; a sampling heap
 * profile of what major GCs collected). The work is tracked for the graceful stop and its failures
 * logged (deps.detach); one before the acknowledgement still reaches Bolt's error handler.
 */
export async function untilAcknowledged(
  deps: Pick<ListenerDeps, 'detach'>,
  incident: string,
  run: (acknowledged: () => void) => Promise<unknown>,
): Promise<void> {
  let acknowledged = () => {};
  const sent = new Promise<void>((resolve) => {
    acknowledged = resolve;
  });
  const work = run(acknowledged);
  deps.detach(work, incident);
  await Promise.race([sent, work]);
}
