import type { Log } from '../log.ts';

/**
 * Logs refused requests one by one up to `perWindow` in each `windowMs`, then only counts them and
 * logs the counts by status when the window closes. Whoever floods the endpoint with unsigned
 * requests must not also fill the disk, or the heap with log lines waiting to be written: at 2,000
 * refusals a second, a line each cost the app 40 MB of RSS.
 */
export function createRefusalLog(log: Log, o: { perWindow?: number; windowMs?: number } = {}) {
  const perWindow = o.perWindow ?? 20;
  const windowMs = o.windowMs ?? 10_000;
  let logged = 0;
  let suppressed: Record<number, number> = {};
  let windowOpen = false;

  const closeWindow = () => {
    windowOpen = false;
    logged = 0;
    const counts = suppressed;
    suppressed = {};
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (total > 0)
      log.warn({ byStatus: counts, total, windowMs }, 'more Slack requests refused, not logged one by one');
  };

  return (status: number, reason: string): void => {
    if (!windowOpen) {
      windowOpen = true;
      setTimeout(closeWindow, windowMs).unref();
    }
    if (logged < perWindow) {
      logged += 1;
      log.warn({ status, reason }, 'Slack request refused');
    } else {
      suppressed[status] = (suppressed[status] ?? 0) + 1;
    }
  };
}
