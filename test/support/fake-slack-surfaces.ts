/** Fake Slack Web API methods of the shortcut, incident-channel and App Home surfaces. */
type Args = Record<string, unknown>;
type Message = Record<string, unknown>;

export function surfaceMethods(o: {
  channels?: Array<{ id: string; name: string; member?: boolean }>;
  threads: Map<string, Message[]>;
  nextTs: () => string;
  base: () => string;
}): Record<string, (a: Args) => Record<string, unknown>> {
  return {
    /** Paged by `cursor` (an offset), `limit` at a time, as Slack pages it. */
    'conversations.list': (a) => {
      const all = o.channels ?? [];
      const from = Number(a.cursor || 0);
      const limit = Math.min(Number(a.limit || 100), 1000);
      const page = all
        .slice(from, from + limit)
        .map((c) => ({ id: c.id, name: c.name, is_member: c.member !== false }));
      const more = from + limit < all.length;
      return { ok: true, channels: page, response_metadata: { next_cursor: more ? String(from + limit) : '' } };
    },
    /** The thread's replies after `oldest`, oldest first; metadata only with include_all_metadata. */
    'conversations.replies': (a) => {
      const oldest = Number(a.oldest ?? 0);
      const withMeta = a.include_all_metadata === 'true' || a.include_all_metadata === true;
      const replies = (o.threads.get(`${String(a.channel)}/${String(a.ts)}`) ?? [])
        .filter((m) => Number(m.ts) > oldest)
        .map(({ metadata, ...m }) => (withMeta && metadata ? { ...m, metadata } : m));
      return { ok: true, messages: replies, has_more: false, response_metadata: { next_cursor: '' } };
    },
    'chat.getPermalink': (a) => ({
      ok: true,
      channel: a.channel,
      permalink: `https://acme-sec.slack.com/archives/${String(a.channel)}/p${String(a.message_ts).replace('.', '')}`,
    }),
    'views.publish': (a) => ({ ok: true, view: { ...(a.view as object), id: `VHOME${String(a.user_id)}` } }),
  };
}
