import type { AcceptClose, RefuseWhenBusy } from '../domain/accept-close.ts';
import type { BulkCloseRequest } from '../domain/bulk-close.ts';
import type { AcceptBulkClose, BulkOutcome, BulkProgress } from '../domain/bulk-items.ts';
import type { DispositionRules } from '../domain/disposition.ts';
import type { History } from '../domain/history.ts';
import type { MappingCommands } from '../domain/mapping.ts';
import type { OriginGate } from '../domain/origin-gate.ts';
import type { Origin, PolicyRules } from '../domain/policy.ts';
import type { ConfirmClose, PreviewIncidents } from '../domain/preview-incidents.ts';
import type { Log } from '../log.ts';
import type { ButtonSealer } from '../slack/button-value.ts';
import type { MetadataSealer } from '../slack/metadata.ts';
import type { Reply } from '../slack/render/kit.ts';

/** What the listeners may call: use cases and Slack helpers, never D3 or the store directly. */
export interface ListenerDeps {
  rules: PolicyRules;
  supportContact?: string;
  log: Log;
  /** A close typed in the command or the form: refused in the ack while D3 is busy (and audited), else acked once stored and run. */
  acceptClose: AcceptClose;
  /** The same refusal decided synchronously, for the HTTP receiver's early answer (close-command.ts earlyCloseAnswer). */
  refuseWhenBusy: RefuseWhenBusy;
  /** Work a listener leaves running past its acknowledgement (after-ack.ts): tracked for the graceful stop, failures logged. */
  detach(work: Promise<unknown>, incident: string): void;
  /** BULK_MAX, checked in the modal before it closes. */
  bulkMax: number;
  /** The modal's bulk close (several numbers, one per line): acknowledged already, run now. */
  bulkClose(req: BulkCloseRequest, onProgress?: BulkProgress): Promise<BulkOutcome>;
  /** The command's bulk close (a comma list): refused in the ack when over BULK_MAX or D3 is busy. */
  acceptBulkClose: AcceptBulkClose;
  /** Refuses (in the ack) and audits a request from another workspace or organisation; true when it did. */
  refusedOutsider: OriginGate;
  /** The same origin check, synchronous and without its audit: true for a request the gate would refuse. */
  isOutsider(origin: Origin): boolean;
  mapping: MappingCommands;
  /** Close attempts for one incident, for whoever may close it (the same policy, the same refusals). */
  history: History;
  metadata: MetadataSealer;
  /** The close reasons offered in the modal and accepted as `fp:` in a command. */
  dispositions: DispositionRules;
  /** Numbers typed in the modal → their previews (empty when D3_PREVIEW=false). */
  previewIncidents: PreviewIncidents;
  /** CONFIRM_BEFORE_CLOSE: the command answers with a card; only its Close button closes. */
  confirmBeforeClose: boolean;
  confirm: ConfirmClose;
  /** Seals the card's button values (HMAC). */
  buttons: ButtonSealer;
  /** D3_INCIDENT_URL_TEMPLATE, for "Open in D3". */
  incidentUrlTemplate?: string;
  notifyUser(channelId: string, userId: string, msg: Reply): Promise<void>;
  /** Incident numbers in a message (INCIDENT_NUMBER_PATTERN), for the message shortcut. */
  findIncidentNumbers(message: unknown): string[];
  /** A link to a message, or undefined when Slack does not give one quickly. */
  permalink(channelId: string, ts: string): Promise<string | undefined>;
  /** The channel a close from App Home announces in when none is picked (SUMMARY_FEED_CHANNEL_ID). */
  homeChannel?: string;
  /** Publishes the analyst's App Home (identity, recent closes, the close button). */
  publishHome(slackUserId: string): Promise<void>;
  newRequestId(): string;
}
