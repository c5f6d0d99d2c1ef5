import type { CloseRequest } from '../domain/close-incident.ts';
import type { CloseErrorCode } from '../domain/errors.ts';
import type { MappingCommands } from '../domain/mapping.ts';
import type { PolicyRules } from '../domain/policy.ts';
import type { AuditRecord, Outcome } from '../domain/types.ts';
import type { Log } from '../log.ts';
import type { MetadataSealer } from '../slack/metadata.ts';
import type { Message } from '../slack/web.ts';

/** What the listeners may call: use cases and Slack helpers, never D3 or the store directly. */
export interface ListenerDeps {
  rules: PolicyRules;
  supportContact?: string;
  log: Log;
  closeIncident(req: CloseRequest): Promise<Outcome>;
  /** True while the D3 queue is full: a close now would only be refused, so it is refused in the ack. */
  d3Busy(): boolean;
  recordRefusal(req: CloseRequest, code: CloseErrorCode): Promise<void>;
  mapping: MappingCommands;
  history(incidentNumber: string): Promise<AuditRecord[]>;
  metadata: MetadataSealer;
  notifyUser(channelId: string, userId: string, msg: Message): Promise<void>;
  newRequestId(): string;
}
