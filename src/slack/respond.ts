import { RespondError, type RespondFn } from '@slack/bolt';

/**
 * Bolt's respond() for a request answered before Bolt (http-receiver.ts earlyAnswer): the same POST of
 * the message to the request's response_url, through the same bounded fetch Bolt is given
 * (clientOptions.fetch, timed-fetch.ts), and the same RespondError when Slack refuses it, so a reply
 * reads alike whichever path acknowledged the request.
 */
export const respondVia =
  (fetchFn: typeof fetch) =>
  (responseUrl: string): RespondFn =>
  async (message) => {
    const res = await fetchFn(responseUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(typeof message === 'string' ? { text: message } : message),
    });
    if (!res.ok)
      throw new RespondError(`Failed to respond to the response_url: ${res.status} ${res.statusText}`, res.status);
    return res;
  };
