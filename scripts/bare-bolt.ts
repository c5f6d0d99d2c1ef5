/**
 * Benchmark baseline: a bare Bolt app (default HTTPReceiver) whose /close-incident handler only acks.
 * Run by scripts/bench.ts as a child process; listens on 127.0.0.1 (PORT, default an ephemeral port)
 * and prints one JSON line `{"port":N,"msg":"bare-bolt ready"}` when it takes requests.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';

const signingSecret = process.env.SLACK_SIGNING_SECRET;
if (!signingSecret) {
  console.error('bare-bolt: SLACK_SIGNING_SECRET is required');
  process.exit(1);
}

const app = new App({
  signingSecret,
  token: process.env.SLACK_BOT_TOKEN ?? 'xoxb-bench',
  tokenVerificationEnabled: false,
  botId: 'B1',
  botUserId: 'U1',
  logLevel: LogLevel.ERROR,
});

app.command('/close-incident', async ({ ack }) => ack());

// App.start passes its arguments to HTTPReceiver.start, which takes listen options and resolves with the server.
const start = app.start.bind(app) as unknown as (o: { port: number; host: string }) => Promise<Server>;
const server = await start({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
console.log(JSON.stringify({ port: (server.address() as AddressInfo).port, msg: 'bare-bolt ready' }));

const stop = () => {
  void app.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
