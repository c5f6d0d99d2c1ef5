import 'dotenv/config';
import { ConfigError, loadConfig } from './config.ts';
import { UserMapError } from './identity/user-map.ts';
import { startBot } from './runtime/index.ts';

/** Entry point: read the environment, start, and stop cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  const bot = await startBot(config);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      // A second signal means "now": the operator chose not to wait for closures under way.
      bot.log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    bot.log.info({ signal }, 'shutting down: finishing closures under way');
    bot.stop().then(
      () => process.exit(0),
      (e) => {
        bot.log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((e: unknown) => {
  // Configuration and user-map problems are the operator's to fix: print them plainly, no stack.
  if (e instanceof ConfigError || e instanceof UserMapError) console.error(e.message);
  else console.error('close-incident failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
