// @ts-check
/* The admin app's API client: every call to /api/manage/... goes through request(). It sends the session's CSRF
   token on changes and same-origin credentials, times out, never throws (it resolves to a Result), reads the JSON
   error shape {error: {code, message, field}}, and says when the session has ended (any 401 while signed in).
   Stale answers are dropped: signing out aborts every request in flight, and a request made with a `key` aborts
   the one before it with the same key, so an old answer can't overwrite a newer one. */

/** @typedef {import('../types/api').paths} Paths */
/** @typedef {import('../types/api').components['schemas']} Schemas */
/** @typedef {keyof Paths & `/manage/${string}`} ManagePath */
/** @typedef {'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'} Method */
/** @typedef {{ code: string, message: string, field?: string }} ApiError */

/**
 * A call's outcome. `body` is the parsed JSON object of a 2xx answer ({} otherwise); `aborted` answers were
 * superseded or belong to an ended session and must be ignored.
 * @typedef {{
 *   ok: boolean, status: number, body: Record<string, unknown>, error: ApiError | null,
 *   retryAfter: number | null, network: boolean, timedOut: boolean, aborted: boolean, sessionEnded: boolean
 * }} Result
 */

/**
 * The JSON body an operation takes, from the generated types: `Body<'/manage/tiers', 'post'>` is TierRequest.
 * @template {keyof Paths} P
 * @template {string} M
 * @typedef {M extends keyof Paths[P]
 *   ? Paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : Record<string, never>
 *   : never} Body
 */

/**
 * The JSON a GET answers with (200), from the generated types: `Answer<'/manage/tiers'>` is TierList. The API tests
 * check the server's answers against these schemas, so the views read them without checking each field by hand.
 * @template {keyof Paths} P
 * @typedef {Paths[P] extends { get: { responses: { 200: { content: { 'application/json': infer R } } } } } ? R : never} Answer
 */

export const REQUEST_TIMEOUT_MS = 20000;
/** Calls that wait on plex.tv: the server's own timeout answers first. */
export const PLEX_TIMEOUT_MS = 45000;

export const TEXT = Object.freeze({
  network: "Can't reach the server. Check your connection and try again.",
  timeout: 'The server took too long to answer. Please try again in a minute.',
  serverProblem: 'Something went wrong on our side. Please try again in a minute.',
  badRequest: "That didn't work. Check what you entered and try again.",
  tooManyAttempts: 'Too many attempts.',
});

const MAX_SHOWN_MESSAGE_LENGTH = 400;

let csrfToken = '';
/** @type {Set<AbortController>} */
const inFlight = new Set();
/** @type {Map<string, AbortController>} */
const latest = new Map();
/** @type {() => void} */
let onSessionEnded = () => {};

/** @param {string} token the session's CSRF token; empty when signed out */
export function setCsrfToken(token) {
  csrfToken = token;
}

export function signedIn() {
  return csrfToken !== '';
}

/** @param {() => void} handler called once per 401 answer to a signed-in call */
export function whenSessionEnds(handler) {
  onSessionEnded = handler;
}

/** Drops every answer still on its way: after signing out nothing from the old session may land. */
export function abortAll() {
  for (const controller of inFlight) controller.abort();
  inFlight.clear();
  latest.clear();
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
export function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** @param {unknown} value */
export function asText(value) {
  return typeof value === 'string' ? value.trim() : '';
}

/** Server text is shown as text only; this keeps it to a readable size. @param {unknown} message */
export function cleanMessage(message) {
  const text = asText(message);
  return text.length > MAX_SHOWN_MESSAGE_LENGTH ? `${text.slice(0, MAX_SHOWN_MESSAGE_LENGTH - 1).trimEnd()}…` : text;
}

/** @param {unknown} body @returns {ApiError | null} */
function readError(body) {
  if (!isObject(body) || !isObject(body.error)) return null;
  const { code, message, field } = body.error;
  /** @type {ApiError} */
  const error = { code: asText(code), message: asText(message) };
  if (typeof field === 'string' && field) error.field = field;
  return error;
}

/** Retry-After is delay-seconds or an HTTP date. @param {string | null} header */
export function retryAfterSeconds(header, now = Date.now()) {
  const value = (header || '').trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) > 0 ? Number(value) : null;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(1, Math.ceil((date - now) / 1000));
}

/**
 * Fills "{name}" in a path template: pathFor('/manage/tiers/{tierId}', { tierId: 'a b' }) is /api/manage/tiers/a%20b.
 * @param {keyof Paths} path
 * @param {Record<string, string>} [params]
 */
export function pathFor(path, params = {}) {
  return `/api${path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(params[name] ?? ''))}`;
}

/**
 * @param {Partial<Result>} fields
 * @returns {Result}
 */
function result(fields) {
  return {
    ok: false,
    status: 0,
    body: {},
    error: null,
    retryAfter: null,
    network: false,
    timedOut: false,
    aborted: false,
    sessionEnded: false,
    ...fields,
  };
}

/**
 * Calls the API. Never rejects.
 * @template {ManagePath} P
 * @template {Method} M
 * @param {M} method
 * @param {P} path the path as the OpenAPI spec names it, e.g. '/manage/tiers/{tierId}'
 * @param {{ params?: Record<string, string>, body?: Body<P, Lowercase<M>>, file?: Blob, timeoutMs?: number, key?: string }} [options]
 *   `key`: a newer request with the same key aborts this one (a list reloaded twice answers once);
 *   `file`: sent as the body itself with its own type instead of JSON (an uploaded image)
 * @returns {Promise<Result>}
 */
export async function request(method, path, options = {}) {
  return send(method, pathFor(path, options.params), options.file ?? options.body, options.timeoutMs, options.key);
}

/**
 * A GET whose answer is typed by the spec: `data` is the 200 answer's JSON, or null when the call failed.
 * @template {ManagePath} P
 * @param {P} path
 * @param {{ params?: Record<string, string>, timeoutMs?: number, key?: string }} [options]
 * @returns {Promise<Result & { data: Answer<P> | null }>}
 */
export async function getJson(path, options = {}) {
  const answer = await request('GET', path, options);
  return { ...answer, data: answer.ok ? /** @type {Answer<P>} */ (answer.body) : null };
}

/**
 * The same for the two calls made before there is a session (session, login): typed by the caller.
 * @param {Method} method
 * @param {string} url
 * @param {unknown} [body] JSON, or a Blob sent as it is
 * @param {number} [timeoutMs]
 * @param {string} [key]
 * @returns {Promise<Result>}
 */
export async function send(method, url, body, timeoutMs = REQUEST_TIMEOUT_MS, key = '') {
  const controller = new AbortController();
  if (key) {
    latest.get(key)?.abort();
    latest.set(key, controller);
  }
  inFlight.add(controller);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  /** @type {RequestInit} */
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store', signal: controller.signal };
  if (method !== 'GET') {
    const file = typeof Blob !== 'undefined' && body instanceof Blob ? body : null;
    headers['Content-Type'] = file ? file.type || 'application/octet-stream' : 'application/json';
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
    init.body = file ?? JSON.stringify(body ?? {});
  }
  const wasSignedIn = signedIn();
  try {
    const response = await fetch(url, init);
    /** @type {unknown} */
    let parsed;
    try {
      parsed = JSON.parse(await response.text());
    } catch {
      parsed = undefined;
    }
    if (controller.signal.aborted && !timedOut) return result({ aborted: true });
    const error = readError(parsed);
    const answer = result({
      ok: response.ok && isObject(parsed) && !error,
      status: response.status,
      body: response.ok && isObject(parsed) ? parsed : {},
      error,
      retryAfter: retryAfterSeconds(response.headers.get('Retry-After')),
    });
    if (response.status === 401 && wasSignedIn && signedIn()) {
      answer.sessionEnded = true;
      onSessionEnded();
    }
    return answer;
  } catch {
    if (controller.signal.aborted && !timedOut) return result({ aborted: true });
    return result({ network: true, timedOut });
  } finally {
    clearTimeout(timer);
    inFlight.delete(controller);
    if (latest.get(key) === controller) latest.delete(key);
  }
}

/** @param {number} seconds */
function formatWait(seconds) {
  if (seconds < 60) return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
}

/**
 * What to tell the owner about a failed call; never a raw proxy page.
 * @param {Result} answer
 */
export function errorMessage(answer) {
  if (answer.network) return answer.timedOut ? TEXT.timeout : TEXT.network;
  if (answer.status === 429) {
    if (answer.retryAfter) return `${TEXT.tooManyAttempts} Try again in ${formatWait(answer.retryAfter)}.`;
    return cleanMessage(answer.error?.message) || `${TEXT.tooManyAttempts} Try again later.`;
  }
  if (!answer.error) return TEXT.serverProblem;
  const message = cleanMessage(answer.error.message);
  if (message) return message;
  return answer.status >= 400 && answer.status < 500 ? TEXT.badRequest : TEXT.serverProblem;
}

/**
 * The message for an answer the caller couldn't use: a failure's reason, or a server problem for a 2xx whose body
 * wasn't what the view needs.
 * @param {Result} answer
 */
export function failureText(answer) {
  return answer.ok ? TEXT.serverProblem : errorMessage(answer);
}

/** @param {Result} answer */
export function errorCode(answer) {
  return answer.error?.code ?? '';
}

/** Whether the caller should ignore this answer: superseded, or the session ended (the sign-in page shows). */
export function dropped(/** @type {Result} */ answer) {
  return answer.aborted || answer.sessionEnded;
}
