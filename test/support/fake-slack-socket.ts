import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';

export type SocketEnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** What the app sends back over the socket. @slack/socket-mode always includes `payload` (`{}` for a bare ack). */
export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface FakeSocketMode {
  /** Open WebSocket connections. */
  connected(): number;
  /** Delivers one envelope to the newest connection; resolves with the app's ack, rejects after `timeoutMs`. */
  send(type: SocketEnvelopeType, payload: object, opts?: { timeoutMs?: number }): Promise<SocketAck>;
  /** Every ack received, in order (including acks for envelopes whose `send` already timed out). */
  acks(): SocketAck[];
  /** Slack's "please reconnect" message; the client closes this socket and opens a new one. */
  disconnect(reason?: 'warning' | 'refresh_requested' | 'link_disabled'): void;
}

export interface SocketModeServer extends FakeSocketMode {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

interface Pending {
  resolve: (ack: SocketAck) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The Socket Mode side of the fake, as @slack/socket-mode 3.x expects it:
 * - `hello` right after the upgrade is what resolves `SocketModeClient.start()`;
 * - the client pings every clientPingTimeout/3 ms and disconnects after ~4 unanswered pings: `ws` answers
 *   pings with pongs by default (autoPong), so nothing else is needed;
 * - server pings are optional: the client only arms its server-ping timeout after the first one, so we send none.
 */
export function createSocketModeServer(appId: string): SocketModeServer {
  const wss = new WebSocketServer({ noServer: true });
  const sockets: WebSocket[] = [];
  const acks: SocketAck[] = [];
  const pending = new Map<string, Pending>();

  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('close', () => {
      const i = sockets.indexOf(ws);
      if (i >= 0) sockets.splice(i, 1);
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const ack = parseAck(data.toString());
      if (!ack) return;
      acks.push(ack);
      const waiter = pending.get(ack.envelope_id);
      if (!waiter) return;
      pending.delete(ack.envelope_id);
      clearTimeout(waiter.timer);
      waiter.resolve(ack);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: sockets.length,
        debug_info: { host: 'fake', approximate_connection_time: 18060 },
        connection_info: { app_id: appId },
      }),
    );
  });

  const open = () => sockets.filter((ws) => ws.readyState === ws.OPEN);

  return {
    connected: () => open().length,
    acks: () => [...acks],
    send(type, payload, { timeoutMs = 5000 } = {}) {
      const ws = open().at(-1);
      if (!ws) return Promise.reject(new Error(`fake Slack: no Socket Mode connection to send ${type} on`));
      const envelope_id = randomUUID();
      const retry = type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {};
      const envelope = { envelope_id, type, payload, accepts_response_payload: type !== 'events_api', ...retry };
      return new Promise<SocketAck>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(envelope_id);
          reject(new Error(`fake Slack: no ack for ${type} envelope ${envelope_id} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(envelope_id, { resolve, reject, timer });
        ws.send(JSON.stringify(envelope));
      });
    },
    disconnect(reason = 'warning') {
      for (const ws of open()) ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake' } }));
    },
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    async close() {
      for (const waiter of pending.values()) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('fake Slack stopped before the ack arrived'));
      }
      pending.clear();
      // A close frame, not a bare TCP reset: a client that is itself mid-disconnect (Bolt's app.stop() does not
      // wait for the handshake) then ends cleanly instead of logging an SMWebsocketError.
      const closed = sockets.map((ws) => new Promise((resolve) => ws.once('close', resolve)));
      for (const ws of sockets) ws.close(1001, 'fake Slack stopping');
      await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
      for (const ws of [...sockets]) ws.terminate();
      wss.close();
    },
  };
}

function parseAck(text: string): SocketAck | undefined {
  try {
    const msg = JSON.parse(text) as Partial<SocketAck>;
    return typeof msg.envelope_id === 'string' ? (msg as SocketAck) : undefined;
  } catch {
    return undefined;
  }
}
