import type { Logger as BoltLogger } from '@slack/bolt';
import { type DestinationStream, type Logger, pino } from 'pino';
import { LogLevel } from './slack/bolt.ts';

export type Log = Logger;

/**
 * JSON logs on stdout. Secrets are wrapped in `Secret` (prints `[redacted]`), and these paths are
 * censored as a second line of defence should a header or token object ever be logged whole.
 */
export function createLog(level: string, destination?: DestinationStream): Log {
  return pino(
    {
      level,
      base: { app: 'close-incident' },
      redact: {
        paths: [
          'token',
          'headers.authorization',
          'headers.d3key',
          '*.token',
          '*.headers.authorization',
          'req.headers["x-slack-signature"]',
          'note',
          '*.note',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** Bolt's logger interface on top of pino, so Bolt's own lines come out as the same JSON. */
export function boltLogger(log: Log): BoltLogger {
  const child = log.child({ component: 'bolt' });
  let level = LogLevel.INFO;
  const text = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' ');
  return {
    // Bolt calls debug() on every event; the line is built only when it would be written.
    debug: (...m) => {
      if (child.isLevelEnabled('debug')) child.debug(text(m));
    },
    info: (...m) => child.info(text(m)),
    warn: (...m) => child.warn(text(m)),
    error: (...m) => child.error(text(m)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
