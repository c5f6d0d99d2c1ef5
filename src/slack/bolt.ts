/**
 * Bolt's App, LogLevel and SocketModeReceiver from the package's public entry. Requiring them from
 * `@slack/bolt/dist/...` would skip ExpressReceiver and friends (~170 ms of start-up CPU, issue 9's
 * profile) but reaches into Bolt's private files, which a Bolt release may move (issue 8 part 0).
 */
export { App, LogLevel, SocketModeReceiver } from '@slack/bolt';
