import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { SLACK_CHANNEL_ID_STRICT } from '../domain/limits.ts';

/** What the modal carries from the command to its submission. */
const Metadata = z
  .strictObject({
    channel: z.string().regex(SLACK_CHANNEL_ID_STRICT).optional(),
    /** The message a shortcut was used on: the summary is a reply in its thread. */
    threadTs: z
      .string()
      .regex(/^\d{1,12}\.\d{1,9}$/)
      .optional(),
    /** Opened from App Home: no channel of its own; the modal's channel picker (or the route) decides. */
    home: z.literal(true).optional(),
  })
  .refine((m) => m.channel !== undefined || m.home === true);
export type ModalMetadata = z.output<typeof Metadata>;

/**
 * private_metadata comes back from the client, so it is signed: a user who edits the view payload
 * cannot redirect the closure summary to a channel of their choosing. The key is derived from the
 * bot token so every instance of one deployment agrees on it, in HTTP and Socket Mode alike.
 */
export function createMetadataSealer(secret: string) {
  const key = createHmac('sha256', 'close-incident/modal-metadata').update(secret).digest();
  const mac = (json: string) => createHmac('sha256', key).update(json).digest('base64url');
  return {
    /** Undefined when the channel is not one a summary can be posted to (e.g. a malformed id). */
    seal(data: ModalMetadata): string | undefined {
      const parsed = Metadata.safeParse(data);
      if (!parsed.success) return undefined;
      const json = JSON.stringify(parsed.data);
      return JSON.stringify({ d: json, s: mac(json) });
    },
    open(text: string | undefined): ModalMetadata | undefined {
      try {
        const outer = z.strictObject({ d: z.string(), s: z.string() }).parse(JSON.parse(text ?? ''));
        const expected = Buffer.from(mac(outer.d));
        const given = Buffer.from(outer.s);
        if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
        return Metadata.parse(JSON.parse(outer.d));
      } catch {
        return undefined;
      }
    },
  };
}

export type MetadataSealer = ReturnType<typeof createMetadataSealer>;
