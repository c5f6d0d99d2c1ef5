import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { SLACK_USER_ID_STRICT } from '../domain/limits.ts';

/** What a confirmation card's button carries back: which pending close, whose, until when, and which button. */
const Value = z.strictObject({
  id: z.string().min(1).max(64),
  /** The incident number, for the words of a refusal (the pending close itself is in the store). */
  n: z.string().max(64),
  user: z.string().regex(SLACK_USER_ID_STRICT),
  exp: z.number().int(),
  action: z.enum(['close', 'cancel']),
});
export type ButtonValue = z.output<typeof Value>;

/**
 * A button's value comes back from the client, so it is signed as the modal's metadata is (same
 * approach, its own derived key): nobody can forge a click for another pending close, another user,
 * or a later expiry. Single use is the store's (domain/preview-incidents.ts), not the seal's.
 */
export function createButtonSealer(secret: string) {
  const key = createHmac('sha256', 'close-incident/button-value').update(secret).digest();
  const mac = (json: string) => createHmac('sha256', key).update(json).digest('base64url');
  return {
    seal(v: ButtonValue): string {
      const json = JSON.stringify(Value.parse(v));
      return JSON.stringify({ d: json, s: mac(json) });
    },
    open(text: string | undefined): ButtonValue | undefined {
      try {
        const outer = z.strictObject({ d: z.string(), s: z.string() }).parse(JSON.parse(text ?? ''));
        const expected = Buffer.from(mac(outer.d));
        const given = Buffer.from(outer.s);
        if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
        return Value.parse(JSON.parse(outer.d));
      } catch {
        return undefined;
      }
    },
  };
}

export type ButtonSealer = ReturnType<typeof createButtonSealer>;
