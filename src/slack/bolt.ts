import { createRequire } from 'node:module';
import type * as Bolt from '@slack/bolt';

/**
 * Bolt's App, LogLevel and SocketModeReceiver, required from their own files. `@slack/bolt`'s index
 * also loads ExpressReceiver (express, body-parser, …), AwsLambdaReceiver, workflow steps and the
 * assistant, none of which this app uses: about 170 ms of CPU at every start-up (the profile's
 * largest item after Bolt's App itself). Same classes, same module instances: index.js requires
 * these very files. Types still come from the package's entry.
 */
const require = createRequire(import.meta.url);
export const App = (require('@slack/bolt/dist/App.js') as { default: typeof Bolt.App }).default;
export type App = Bolt.App;
export const LogLevel = (require('@slack/bolt/dist/App.js') as { LogLevel: typeof Bolt.LogLevel }).LogLevel;
export type LogLevel = Bolt.LogLevel;
export const SocketModeReceiver = (
  require('@slack/bolt/dist/receivers/SocketModeReceiver.js') as { default: typeof Bolt.SocketModeReceiver }
).default;
export type SocketModeReceiver = Bolt.SocketModeReceiver;
