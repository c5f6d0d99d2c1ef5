import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import { createAcceptClose, createRefuseWhenBusy } from '../domain/accept-close.ts';
import { createAuditTrail } from '../domain/audit.ts';
import { createBulkClose } from '../domain/bulk-close.ts';
import { createAcceptBulkClose } from '../domain/bulk-items.ts';
import { createCloseIncident, createRefusalRecorder } from '../domain/close-incident.ts';
import { createIntentResolver } from '../domain/close-intent.ts';
import { createCloseQueue } from '../domain/close-queue.ts';
import { createHistory } from '../domain/history.ts';
import { createHomeData } from '../domain/home.ts';
import { findIncidentNumbers } from '../domain/incident-refs.ts';
import { createMappingCommands } from '../domain/mapping.ts';
import { createOriginGate } from '../domain/origin-gate.ts';
import { decideOrigin } from '../domain/policy.ts';
import { createConfirmClose, createPreviewIncidents } from '../domain/preview-incidents.ts';
import { createRoutedSummaries } from '../domain/routed-summaries.ts';
import { createSummaryDeliverer } from '../domain/summaries.ts';
import { createIdentityResolver } from '../identity/user-map.ts';
import type { ListenerDeps } from '../listeners/deps.ts';
import type { Log } from '../log.ts';
import { createMetrics } from '../metrics.ts';
import { createButtonSealer } from '../slack/button-value.ts';
import { createChannelDirectory } from '../slack/channels.ts';
import { createMetadataSealer } from '../slack/metadata.ts';
import { outcomeMessage } from '../slack/render/outcome.ts';
import { createSurfaceCalls } from '../slack/surfaces.ts';
import { trackAdmission } from './admission.ts';
import type { Edges } from './edges.ts';
import { trackBulk, trackClosures } from './lifecycle.ts';
import { queuedReply } from './queued.ts';

/**
 * The use cases over the edges, and what the listeners get (ListenerDeps). A new surface (a shortcut,
 * a button, App Home) gets its use case wired here and its field in ListenerDeps.
 */
export function wireUseCases(config: Config, edges: Edges, log: Log) {
  const { store, d3, slack, summaryPost } = edges;
  const instanceId = randomUUID();
  const metrics = createMetrics({
    queueDepth: () => d3.queueDepth(),
    pendingSummaries: async () => (await store.outbox.list()).length,
    heldSummaries: () => summaries.held(),
  });
  const resolveIdentity = createIdentityResolver(
    edges.userMap,
    config.d3.defaultSite,
    {
      override: (id) => store.overrides.get(id),
      person: (id) => slack.person(id),
      emailRefused: (id, reason) => log.warn({ slackUser: id, reason }, 'profile email in the user map not accepted'),
    },
    edges.installation,
  );
  const isInAllowedGroup = (id: string) => slack.isInGroups(id, config.policy.allowedUserGroupIds);
  const auditTrail = createAuditTrail({
    store,
    noteKey: config.audit.noteKey,
    onUnrecorded: metrics.countUnrecordedRefusal,
  });
  // Renewed every third of it while a close runs (lock-heartbeat.ts): it only bounds how long a crashed
  // instance keeps an incident locked, and when an intent it left may be settled (close-intent.ts).
  const incidentLockTtlMs = 30_000;
  const summaries = createSummaryDeliverer({
    store,
    resolveIntent: createIntentResolver({ store, d3, lockTtlMs: incidentLockTtlMs, log, auditTrail }),
    post: (p) => summaryPost.post(p),
    findPosted: edges.lookUpSummaries ? (p) => summaryPost.findPosted(p) : undefined,
    notifyNotPosted: (p, slackError) =>
      slack.notifyUser(p.channelId, p.slackUserId, {
        text: outcomeMessage(
          {
            ok: true,
            // A bulk summary names every incident it lists.
            closure: p.items
              ? { ...p.closure, incidentNumber: p.items.map((c) => c.incidentNumber).join(', ') }
              : p.closure,
            delivery: { status: 'not_posted', channelId: p.channelId, slackError, willRetry: false },
          },
          { incidentNumber: p.closure.incidentNumber, supportContact: config.supportContact },
        ).text,
      }),
    log,
    instanceId,
    claimTtlMs: config.outbox.claimTtlMs,
    observe: (e) => metrics.observeSummary(e),
  });
  // Channel names are read only when summaries may go to an incident's own channel.
  const directory = createChannelDirectory(edges.web, log);
  if (config.surfaces.incidentChannelTemplate) directory.start();
  const routedSummaries = createRoutedSummaries(summaries, config.surfaces, directory);
  // A second of D3 calls waiting is enough to keep D3 busy; closes behind it wait before their store work.
  const admission = trackAdmission(d3, config.d3.queueMax, { lead: Math.max(16, config.d3.maxRps) });
  // One set of rules and settings for a single close and each incident of a list: a list skips nothing.
  const closeDeps = {
    rules: config.policy,
    resolveIdentity,
    isInAllowedGroup,
    store,
    summaries: routedSummaries,
    log,
    observe: metrics.observeClose,
    auditTrail,
    lockTtlMs: incidentLockTtlMs,
    closedMemoryMs: 2 * config.d3.clockSkewMs + 60_000,
    preview: {
      previewer: config.d3.preview ? admission.reads(d3) : undefined,
      fields: admission.reads(d3),
      onPreviewFailed: metrics.countPreviewFailure,
    },
    dispositions: config.dispositions,
  };
  const closeNow = admission.gate(createCloseIncident({ ...closeDeps, d3: admission.closer }));
  // Acknowledged closes are stored until finished, and taken over when their instance dies.
  const queue = createCloseQueue({
    store,
    // A taken-over close counts with D3's queue from its start, as an acknowledged command does (admission.ts).
    closeIncident: (req) => (req.queued?.resumed ? admission.admit(req, closeNow) : closeNow(req)),
    busy: admission.busy,
    tell: queuedReply(config, edges, log),
    instanceId,
    claimTtlMs: config.outbox.claimTtlMs,
    stopD3Queue: () => edges.limiter.close(),
    track: (work, incident) => {
      closures.inFlight.set(work, incident);
      void work.finally(() => closures.inFlight.delete(work)).catch(() => {});
    },
    log,
  });
  // Tracked so a graceful stop can wait for closures under way, in HTTP and Socket Mode alike.
  const closures = trackClosures(queue.accept, log);
  // A bulk close: every incident under the single close's rules and settings (the same lock TTL and memory).
  const bulkClose = trackBulk(
    createBulkClose({
      ...closeDeps,
      d3,
      bulkMax: config.bulkMax,
    }),
    closures.inFlight,
  );
  const newRequestId = () => randomUUID();
  const recordRefusal = createRefusalRecorder({ log, auditTrail, observe: metrics.observeClose });

  const previewIncidents = createPreviewIncidents({ resolveIdentity, previewer: config.d3.preview ? d3 : undefined });
  const confirm = createConfirmClose({
    // Counted with D3's queue from the click, as a typed close is (admission.ts).
    closeIncident: (req) => admission.admit(req, closures.closeIncident),
    previewIncidents,
    store,
    busy: admission.busy,
    dispositions: config.dispositions,
    newId: newRequestId,
    log,
  });
  const deps: ListenerDeps = {
    rules: config.policy,
    supportContact: config.supportContact,
    log,
    acceptClose: createAcceptClose({
      closeIncident: (req) => admission.admit(req, closures.closeIncident),
      d3Busy: admission.busy,
      recordRefusal,
    }),
    refuseWhenBusy: createRefuseWhenBusy({ d3Busy: admission.busy, recordRefusal }),
    detach: closures.detach,
    bulkMax: config.bulkMax,
    bulkClose,
    acceptBulkClose: createAcceptBulkClose({
      bulkClose,
      bulkMax: config.bulkMax,
      d3Busy: admission.busy,
      recordRefusal,
      log,
    }),
    refusedOutsider: createOriginGate({ installation: edges.installation, recordRefusal, newRequestId }),
    isOutsider: (origin) => decideOrigin(origin, edges.installation) !== undefined,
    mapping: createMappingCommands({ store, resolveIdentity, rules: config.policy }),
    history: createHistory({ rules: config.policy, resolveIdentity, isInAllowedGroup, store, auditTrail, log }),
    metadata: createMetadataSealer(config.slack.botToken.reveal()),
    notifyUser: (c, u, m) => slack.notifyUser(c, u, m),
    newRequestId,
    findIncidentNumbers: (message) => findIncidentNumbers(message, config.surfaces.incidentNumberPattern),
    homeChannel: config.surfaces.feedChannelId,
    ...createSurfaceCalls(edges.web, log, {
      homeData: createHomeData({ resolveIdentity, store, log }),
      supportContact: config.supportContact,
    }),
    dispositions: config.dispositions,
    previewIncidents,
    confirmBeforeClose: config.confirmBeforeClose,
    confirm,
    buttons: createButtonSealer(config.slack.botToken.reveal()),
    incidentUrlTemplate: config.d3.incidentUrlTemplate,
  };
  return { deps, summaries, metrics, closures, queue };
}
