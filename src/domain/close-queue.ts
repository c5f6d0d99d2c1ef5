import type { Log } from '../log.ts';
import type { CloseRequest } from './close-incident.ts';
import { takeOverStored } from './close-queue-takeover.ts';
import { CloseError, isStopRefusal } from './errors.ts';
import { QUEUED_CLOSE_TRIES, STORE_BEFORE_ACK_MS } from './limits.ts';
import { keepLock } from './lock-heartbeat.ts';
import type { QueuedClose, Store } from './ports.ts';
import type { Outcome } from './types.ts';

export interface CloseQueueDeps {
  store: Pick<Store, 'queue' | 'locks' | 'outbox'>;
  /** The close use case (close-incident.ts). */
  closeIncident(req: CloseRequest): Promise<Outcome>;
  /** Tells the analyst the outcome of a close this instance took over (response_url, else a DM). */
  tell(entry: QueuedClose, outcome: Outcome): Promise<void>;
  /** Names this instance's claims. */
  instanceId: string;
  /** A claim lapses this long after its instance stopped renewing it; another instance then takes over. */
  claimTtlMs: number;
  /** Answers every close waiting for a D3 slot with "shutting down, not sent", marked `stopping` (the limiter's close()). */
  stopD3Queue(): void;
  /**
   * True while this instance's D3 queue has no room (D3_QUEUE_MAX): a takeover then waits for the next
   * scan (or another instance) instead of being refused a slot, which would leave it untold or unknown.
   */
  busy?(): boolean;
  /** Lets a graceful stop wait for closes taken over here (the runtime's closures in flight). */
  track?(work: Promise<unknown>, incidentNumber: string): void;
  log: Log;
}

const claimKey = (id: string) => `queue:${id}`;

/**
 * Acknowledged closes are stored before they wait for a D3 slot, and removed once finished. Each runs
 * under a claim (a lock renewed every third of its TTL) naming its instance. When the instance dies,
 * the claim lapses and another instance (Redis), or the restart (sqlite), takes the close over and tells
 * the analyst. "Attempted" is stored before the close waits for its D3 slot, so a taken-over close that
 * may have reached D3 is judged by D3's state (gateway.ts) first, never blindly sent again. A graceful stop hands
 * the closes that have not left yet over: their entries stay, unclaimed.
 */
export function createCloseQueue(deps: CloseQueueDeps) {
  const { store, instanceId, log } = deps;
  const running = new Map<string, Promise<Outcome>>();
  const handedOver: string[] = [];
  let stopping = false;
  let scanning = false;
  let timer: NodeJS.Timeout | undefined;

  // The same mark close-incident.ts audits as `handed_over`: the stop refused the close before D3 was asked.
  const wasHandedOver = (o: Outcome) => !o.ok && isStopRefusal(o.error);

  async function run(
    entry: QueuedClose,
    req: CloseRequest,
    resumed: boolean,
    tell: ((o: Outcome) => Promise<void>) | undefined,
  ): Promise<Outcome> {
    const claim = keepLock(store.locks, claimKey(entry.id), instanceId, deps.claimTtlMs, log);
    // What the stored entry says now: "attempted" is recorded there before the close's first D3 call.
    let stored = entry;
    try {
      let thrown: { error: unknown } | undefined;
      const outcome = await deps
        .closeIncident({
          ...req,
          queued: {
            resumed,
            attemptedAt: entry.attemptedAt,
            signal: claim.signal,
            beforeFirstSend: async () => {
              const attempted = { ...stored, attemptedAt: Date.now() };
              await store.queue.put(attempted);
              stored = attempted;
            },
          },
        })
        .catch((error: unknown) => {
          thrown = { error };
          return unexpected(entry.id, error, 'queued close failed unexpectedly');
        });
      // A throw is most often the store failing for a moment (D3 not asked yet, or asked and unread): the
      // close stays stored for the takeover, which asks D3 first when it was attempted, and the analyst is
      // told it is kept. Only a close that threw QUEUED_CLOSE_TRIES times is told "may not have been
      // closed, check D3" and forgotten, so one that throws every time is not taken over forever; a
      // closure D3 did make is still announced then (its close intent is the outbox replay's to settle).
      if (thrown) {
        const failures = (stored.failures ?? 0) + 1;
        if (failures < QUEUED_CLOSE_TRIES) {
          // A lost claim: another instance runs it now, and its entry is that instance's to write.
          if (!claim.signal.aborted) await store.queue.put({ ...stored, failures }).catch(() => {});
          return { ok: false, error: new CloseError('close_deferred') };
        }
      }
      const handed = wasHandedOver(outcome);
      if (handed) handedOver.push(req.incidentNumber);
      const result: Outcome = handed ? { ok: false, error: new CloseError('close_handed_over') } : outcome;
      // The analyst is told before the entry goes: a crash in between leaves the close stored, so whoever
      // takes it over tells them (D3's state shows it closed by this request). Told twice beats never told.
      // A reply the request's own channel refused (response_url expired, used up, Slack failing) goes the
      // taker-over's way instead (response_url, else a DM): the close is finished either way, so its entry goes.
      if (tell) await tellOrFallBack(entry, tell, result, req.answer);
      // A lost claim means another instance runs this close now: its entry is that instance's to remove.
      if (!handed && !claim.signal.aborted) {
        await store.queue.remove(entry.id).catch((e) => log.warn({ err: e }, 'queued close finished; not removed'));
      }
      return result;
    } finally {
      claim.stop();
      running.delete(entry.id);
      await store.locks.release(claimKey(entry.id), instanceId).catch(() => {});
    }
  }

  function start(
    req: CloseRequest,
    entry: QueuedClose,
    resumed: boolean,
    tell: ((o: Outcome) => Promise<void>) | undefined,
  ): Promise<Outcome> {
    const work = run(entry, req, resumed, tell);
    running.set(entry.id, work);
    return work;
  }

  /**
   * Stores a close, then acknowledges it (req.acknowledge), then runs it. Without the store it still runs,
   * in memory only; a store slower than STORE_BEFORE_ACK_MS is not waited for by the acknowledgement.
   */
  async function accept(req: CloseRequest): Promise<Outcome> {
    const { requestId, slackUserId, slackTeamId, channelId, threadTs, incidentNumber, note } = req;
    const { disposition, noteMayName, dedupeKey } = req;
    const entry: QueuedClose = {
      id: requestId,
      // Everything the close is run with: a taker-over must close it as the analyst asked (reason, thread).
      request: {
        requestId,
        slackUserId,
        channelId,
        incidentNumber,
        note,
        ...(slackTeamId && { slackTeamId }),
        ...(threadTs && { threadTs }),
        ...(disposition && { disposition }),
        ...(noteMayName && { noteMayName }),
        // Its mark names this request (close-incident.ts markRequest): a taker-over finds it its own.
        ...(dedupeKey && { dedupeKey }),
      },
      ...(req.responseUrl && { responseUrl: req.responseUrl }),
      createdAt: Date.now(),
    };
    const stored = storeEntry(entry);
    let slow: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      stored,
      new Promise<'slow'>((resolve) => {
        slow = setTimeout(() => resolve('slow'), STORE_BEFORE_ACK_MS);
      }),
    ]);
    clearTimeout(slow);
    if (waited === 'slow') log.warn({ requestId }, 'store slow: close acknowledged before it was stored');
    // An acknowledgement that could not be sent (Socket Mode's WebSocket reconnecting) stops nothing: Slack
    // may have it anyway, and a stored close left unrun waited for its claim to lapse while the analyst read
    // "something went wrong". The close runs and its outcome goes to response_url, else a DM.
    await req
      .acknowledge?.()
      .catch((e: unknown) =>
        log.warn({ err: e, requestId }, 'acknowledgement not sent; the close runs and its outcome is sent after it'),
      );
    if (!(await stored)) {
      const outcome = await deps
        .closeIncident(req)
        .catch((e: unknown) => unexpected(requestId, e, 'close held in memory failed unexpectedly'));
      // Told here, as a stored close is: a reply its request's channel refuses goes by DM instead.
      if (req.tell) await tellOrFallBack(entry, req.tell, outcome, req.answer);
      return outcome;
    }
    return start(req, entry, false, req.tell);
  }

  /**
   * A close that throws (held in memory because the store refused it, the store still down under its
   * de-duplication; or stored) is an outcome the analyst is told: a form has no response_url for the
   * app's error handler, and nothing else would tell the analyst whose form just closed.
   */
  function unexpected(requestId: string, e: unknown, what: string): Outcome {
    log.error({ err: e, requestId }, what);
    return { ok: false, error: new CloseError('internal', { reason: 'close failed unexpectedly' }, { cause: e }) };
  }

  /** The request's own answer (`answer`: the card's) goes both ways, so a DM never says less than the card. */
  async function tellOrFallBack(
    entry: QueuedClose,
    tell: (o: Outcome) => Promise<void>,
    outcome: Outcome,
    answer: CloseRequest['answer'],
  ) {
    const told = answer ? await answer(outcome) : outcome;
    await tell(told).catch(async (e: unknown) => {
      log.warn(
        { err: e, requestId: entry.id },
        'outcome not accepted on the request; sending it as for a taken-over close',
      );
      await deps.tell(entry, told);
    });
  }

  /** Claimed before it is stored, so no other instance's scan can take it between the two. */
  async function storeEntry(entry: QueuedClose): Promise<boolean> {
    try {
      await store.locks.acquire(claimKey(entry.id), instanceId, deps.claimTtlMs);
      await store.queue.put(entry);
      return true;
    } catch (e) {
      log.warn(
        { err: e, requestId: entry.id },
        'close not stored; it runs in memory only and is lost if this instance dies',
      );
      // A put that timed out here may still land (Redis runs one connection's commands in order): remove it
      // after, so a close running in memory is never also found and taken over.
      await store.queue.remove(entry.id).catch(() => {});
      await store.locks.release(claimKey(entry.id), instanceId).catch(() => {});
      return false;
    }
  }

  /** Takes over every stored close no live instance claims (at start-up and every interval). */
  async function takeOver(): Promise<number> {
    if (stopping || scanning) return 0;
    scanning = true;
    try {
      return await takeOverStored({
        ...deps,
        claimKey,
        isStopping: () => stopping,
        isRunning: (id) => running.has(id),
        start,
      });
    } catch (e) {
      // Called from a timer: a throw here would be an unhandled rejection, which ends the process.
      log.error({ err: e }, 'taking over queued closes failed; retrying at the next interval');
      return 0;
    } finally {
      scanning = false;
    }
  }

  return {
    accept,
    takeOver,
    /** Takes over at once, then every intervalMs. */
    startTakingOver(intervalMs: number) {
      void takeOver();
      timer = setInterval(() => void takeOver(), intervalMs);
      timer.unref();
    },
    /**
     * Graceful stop: closes waiting for a D3 slot are not sent here; they stay stored and unclaimed for
     * another instance or the restart (closes already at D3 finish). Resolves once those have let go.
     */
    async handOver(): Promise<void> {
      stopping = true;
      clearInterval(timer);
      deps.stopD3Queue();
      await Promise.allSettled([...running.values()]);
      if (handedOver.length > 0) {
        log.warn(
          { closes: handedOver.length, incidents: handedOver },
          'shutdown: closes not yet sent to D3 are handed over (left stored, unclaimed) to another instance or the restart',
        );
      }
    },
  };
}

export type CloseQueue = ReturnType<typeof createCloseQueue>;
