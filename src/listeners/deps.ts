import type { AuditSubject } from '../domain/audit.ts';
import type { CloseRequest } from '../domain/close-incident.ts';
import type { CloseErrorCode } from '../domain/errors.ts';
import type { History } from '../domain/history.ts';
import type { MappingCommands } from '../domain/mapping.ts';
import type { Installation, PolicyRules } from '../domain/policy.ts';
import type { Outcome } from '../domain/types.ts';
import type { Log } from '../log.ts';
import type { MetadataSealer } from '../slack/metadata.ts';
import type { Message } from '../slack/web.ts';

/** What the listeners may call: use cases and Slack helpers, never D3 or the store directly. */
export interface ListenerDeps {
  rules: PolicyRules;
  /** The workspace (or org) the bot serves; requests from anywhere else are refused first. */
  installation: Installation;
  supportContact?: string;
  log: Log;
  closeIncident(req: CloseRequest): Promise<Outcome>;
  /** True while the D3 queue is full: a close now would only be refused, so it is refused in the ack. */
  d3Busy(): boolean;
  recordRefusal(req: AuditSubject, code: CloseErrorCode): Promise<void>;
  mapping: MappingCommands;
  /** Close attempts for one incident, for whoever may close it (the same policy, the same refusals). */
  history: History;
  metadata: MetadataSealer;
  notifyUser(channelId: string, userId: string, msg: Message): Promise<void>;
  newRequestId(): string;
}
