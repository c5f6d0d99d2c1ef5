/**
 * Limits and identifier shapes, defined once: the command grammar, the policy, the config, the request
 * edge, the user map and the Slack renderers all read them from here.
 */

/** Longest incident number (D3's are like `20200526-23`). */
export const INCIDENT_NUMBER_MAX = 64;
/**
 * A character an incident number may not contain: it has only letters, digits, `-` and `_` (and at
 * least one digit; command-text.ts incidentNumberProblem says which rule a token breaks).
 */
export const NOT_INCIDENT_NUMBER_CHAR = /[^A-Za-z0-9_-]/u;
/** How D3 numbers incidents, for examples in help, errors and the modal's placeholder. */
export const INCIDENT_NUMBER_EXAMPLE = '20200526-23';

/** Longest closing note: the modal's field, the policy's rule (config) and the messages all say this. */
export const NOTE_MAX_LENGTH = 3000;

/** Slack ids: a kind letter, then upper-case letters and digits. */
const USER = '[UW][A-Z0-9]';
const CHANNEL = '[CGD][A-Z0-9]';
const USER_GROUP = 'S[A-Z0-9]';

/** A Slack user id (U… or W…), as written in config and mentions. */
export const SLACK_USER_ID = new RegExp(`^${USER}+$`);
/** A Slack channel id (C…, G…, D…). */
export const SLACK_CHANNEL_ID = new RegExp(`^${CHANNEL}+$`);
/** A Slack user group id (S…). */
export const SLACK_USER_GROUP_ID = new RegExp(`^${USER_GROUP}+$`);
/**
 * The same shapes with at least three characters, as Slack sends them: where an id comes from outside
 * (request bodies, the user map file, modal metadata) and the bot relies on it afterwards.
 */
export const SLACK_USER_ID_STRICT = new RegExp(`^${USER}{2,}$`);
export const SLACK_CHANNEL_ID_STRICT = new RegExp(`^${CHANNEL}{2,}$`);
/** A leading user mention `<@U…>` or `<@U…|label>` in command text; group 1 is the id. */
export const SLACK_USER_MENTION = new RegExp(`^<@(${USER}+)(?:\\|[^<>]*)?>`);

/**
 * How long an acknowledgement waits for its close to be stored (close-queue.ts), or a list's first answer
 * for its de-duplication marks (bulk-items.ts withFirstAnswer): well inside Slack's 3 s, so a store that
 * does not answer costs the durability of that one close (or a list's "Closing…" before "already
 * received"), never the acknowledgement.
 */
export const STORE_BEFORE_ACK_MS = 1_500;

/** A stored close that throws this many times (run, then taken over) is told and forgotten (close-queue.ts). */
export const QUEUED_CLOSE_TRIES = 3;
