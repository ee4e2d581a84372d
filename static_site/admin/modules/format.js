// @ts-check
/* Numbers, dates and labels as the admin app shows them. Pure, so node --test checks them. */

const OUTCOME_LABELS = /** @type {Readonly<Record<string, string>>} */ ({
  invited: 'Invited',
  already_shared: 'Already had access',
  code_rejected: 'Wrong invite code',
  user_not_found: 'Plex user not found',
  share_limit: 'Share limit reached',
  plex_rate_limited: 'Plex rate-limited',
  plex_unavailable: 'Plex unavailable',
  plex_unconfirmed: 'Not confirmed by Plex',
  access_not_recorded: 'Not recorded, withdrawn',
  invalid_owner_token: 'Owner token invalid',
  plex_error: 'Plex error',
  sign_in_required: 'Needed Plex sign-in',
});

const numberFormat = new Intl.NumberFormat();

/** @param {Intl.DateTimeFormatOptions} options */
function formatter(options) {
  try {
    return new Intl.DateTimeFormat(undefined, options);
  } catch {
    return new Intl.DateTimeFormat();
  }
}

export const longDateTime = formatter({ dateStyle: 'medium', timeStyle: 'short' });
/** The recent-invites list leaves out the year; the invite log shows it. */
export const shortDateTime = formatter({ month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
export const dayLabel = formatter({ month: 'short', day: 'numeric' });
export const dayLongLabel = formatter({ weekday: 'short', month: 'short', day: 'numeric' });

/** A whole count of 0 or more from anything. @param {unknown} value */
export function toCount(value) {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** @param {number} value */
export function formatNumber(value) {
  return numberFormat.format(value);
}

/** @param {number} count @param {string} one @param {string} many */
export function plural(count, one, many) {
  return `${formatNumber(count)} ${count === 1 ? one : many}`;
}

/** @param {unknown} value @returns {Date | null} */
export function parseTime(value) {
  if (typeof value !== 'string' || !value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** @param {unknown} value */
export function formatDateTime(value) {
  const date = parseTime(value);
  return date ? longDateTime.format(date) : '';
}

/** "2026-11-21" is a calendar day, not an instant: built in local time so it isn't shifted a day. @param {unknown} value */
export function parseDay(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(typeof value === 'string' ? value : '');
  return match ? new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : null;
}

/** @param {unknown} value @param {Intl.DateTimeFormat} format */
export function formatDay(value, format) {
  const date = parseDay(value);
  return date ? format.format(date) : typeof value === 'string' ? value : '';
}

/** Whether the value is an outcome the log can filter by. @param {unknown} value @returns {value is string} */
export function isOutcome(value) {
  return typeof value === 'string' && Object.hasOwn(OUTCOME_LABELS, value);
}

/** @param {unknown} outcome */
export function outcomeLabel(outcome) {
  const key = typeof outcome === 'string' ? outcome : '';
  if (Object.hasOwn(OUTCOME_LABELS, key)) return OUTCOME_LABELS[key];
  const text = key.trim().replace(/_/g, ' ');
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : 'Unknown';
}

/** The top of a chart's scale: 1, 2, 2.5 or 5 times a power of ten, at least the value. @param {number} value */
export function niceCeiling(value) {
  if (value <= 4) return Math.max(1, value);
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

/** A whole number in [min, max] from an input's text, or null. @param {string} text @param {number} min @param {number} max */
export function readWhole(text, min, max) {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value >= min && value <= max ? value : null;
}

/** The value format of <input type="datetime-local">, in local time. @param {Date} date */
export function localInputValue(date) {
  const pad = (/** @type {number} */ value) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A link guests can open, from a full URL or a path (no site origin configured); '' for anything else. @param {string} url @param {string} origin */
export function fullUrl(url, origin) {
  try {
    const resolved = new URL(url, origin);
    return resolved.protocol === 'https:' || resolved.protocol === 'http:' ? resolved.href : '';
  } catch {
    return '';
  }
}

/**
 * Totals over a list of days, and the success rate as a whole percentage (null with nothing to rate).
 * @param {{ succeeded: number, failed: number }[]} days
 */
export function sumDays(days) {
  let succeeded = 0;
  let failed = 0;
  for (const day of days) {
    succeeded += day.succeeded;
    failed += day.failed;
  }
  const total = succeeded + failed;
  return { succeeded, failed, total, rate: total ? Math.round((succeeded / total) * 100) : null };
}
