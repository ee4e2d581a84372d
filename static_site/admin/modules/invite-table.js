// @ts-check
/* The invite table's rows, shared by the Overview's recent invites and the invite log: the time (its full date as a
   tooltip), who, the outcome as a badge, and the libraries shared or the reason it failed. */
import { html } from '../vendor/lit-html.js';
import { asText, cleanMessage, isObject } from './api.js';
import { longDateTime, outcomeLabel, parseTime, shortDateTime } from './format.js';
import { badge, emptyRow } from './ui.js';

/**
 * @param {Record<string, unknown>} item an invite as GET /api/manage/invites and the dashboard list it
 * @param {Intl.DateTimeFormat} [timeFormat] the time cell's format (the Overview leaves out the year, the log shows it)
 */
export function inviteRow(item, timeFormat = shortDateTime) {
  const created = parseTime(item.createdAt);
  const succeeded = item.succeeded === true;
  const libraries = Array.isArray(item.libraries)
    ? item.libraries.filter((name) => typeof name === 'string' && name.trim())
    : [];
  const reason = cleanMessage(item.errorMessage);
  const detail = succeeded ? libraries.join(', ') || '–' : reason || outcomeLabel(item.outcome);
  return html`<tr role="row">
    <td role="cell" class="cell-time">${
      created
        ? html`<time datetime=${asText(item.createdAt)} title=${longDateTime.format(created)}>${timeFormat.format(created)}</time>`
        : '–'
    }</td>
    <td role="cell" class="cell-who">${asText(item.identifier) || '–'}</td>
    <td role="cell" class="cell-outcome">${badge(succeeded ? 'ok' : 'fail', outcomeLabel(item.outcome))}</td>
    <td role="cell" class="cell-detail ${!succeeded && !reason ? 'detail-muted' : ''}">${detail}</td>
  </tr>`;
}

/**
 * One row per invite, or one row saying emptyText.
 * @param {unknown[]} items
 * @param {string} emptyText
 * @param {Intl.DateTimeFormat} [timeFormat]
 */
export function inviteRows(items, emptyText, timeFormat = shortDateTime) {
  const rows = items.filter(isObject);
  return rows.length ? rows.map((item) => inviteRow(item, timeFormat)) : emptyRow(4, emptyText);
}
