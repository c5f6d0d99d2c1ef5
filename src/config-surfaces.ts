/** Settings of the Slack surfaces (issue 8 parts 4–6): shortcut pattern, incident channel, feed, threads. */
import { z } from 'zod';
import { compileIncidentPattern, DEFAULT_INCIDENT_NUMBER_PATTERN } from './domain/incident-refs.ts';
import { SLACK_CHANNEL_ID_STRICT } from './domain/limits.ts';

export const surfaceEnv = {
  INCIDENT_NUMBER_PATTERN: z
    .string()
    .default(DEFAULT_INCIDENT_NUMBER_PATTERN)
    .refine((s) => compileIncidentPattern(s) !== undefined, {
      message: 'must be a regular expression that does not match the empty string',
    }),
  INCIDENT_CHANNEL_TEMPLATE: z
    .string()
    .refine((s) => s.includes('{number}'), { message: 'must contain {number}, e.g. inc-{number}' })
    .optional(),
  SUMMARY_FEED_CHANNEL_ID: z
    .string()
    .regex(SLACK_CHANNEL_ID_STRICT, { message: 'must be a Slack channel ID (C… or G…)' })
    .optional(),
  SUMMARY_REPLY_BROADCAST: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
};

type SurfaceEnv = z.output<z.ZodObject<typeof surfaceEnv>>;

export function surfacesOf(e: SurfaceEnv) {
  return {
    incidentNumberPattern: compileIncidentPattern(e.INCIDENT_NUMBER_PATTERN) as RegExp,
    incidentChannelTemplate: e.INCIDENT_CHANNEL_TEMPLATE,
    feedChannelId: e.SUMMARY_FEED_CHANNEL_ID,
    replyBroadcast: e.SUMMARY_REPLY_BROADCAST,
  };
}
