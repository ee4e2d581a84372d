// @ts-check
/* The Overview: invite totals, the 30-day chart (and its table for screen readers), the recent invites and the Plex
   connection. It loads /api/manage/dashboard, whose Plex status and library list the other views share. */
import { html, nothing, render } from '../vendor/lit-html.js';
import { asText, cleanMessage, dropped, failureText, getJson } from './api.js';
import { chartTemplate } from './chart.js';
import { dayLongLabel, formatDateTime, formatDay, formatNumber, outcomeLabel, plural, sumDays } from './format.js';
import { inviteRows } from './invite-table.js';
import { changed, readLibraries, store, subscribe } from './store.js';
import { badge, byId, tableHead } from './ui.js';

/** @typedef {import('../types/api').components['schemas']} Schemas */
/** @typedef {{ date: string, succeeded: number, failed: number }} Day */
/** @typedef {{ total: number, succeeded: number, failed: number, byOutcome: [string, number][] } | null} Totals */

const PLEX_CONNECTION = /** @type {Readonly<Record<string, { kind: string, text: string, note?: string }>>} */ ({
  working: { kind: 'ok', text: 'Working' },
  rejected: { kind: 'fail', text: 'Rejected by plex.tv' },
  unreachable: {
    kind: 'unknown',
    text: 'Unknown',
    note: 'plex.tv could not be reached, so the token could not be checked.',
  },
  unknown: { kind: 'unknown', text: 'Unknown', note: 'Not checked yet.' },
});

const STAT_CARDS = /** @type {const} */ ([
  ['stat-24h', 'Last 24 hours', 'last24h'],
  ['stat-7d', 'Last 7 days', 'last7d'],
  ['stat-all-time', 'All time', 'allTime'],
]);

const view = {
  loading: false,
  loaded: false,
  /** @type {Record<string, Totals>} */
  totals: {},
  /** @type {Day[]} */
  daily: [],
  /** @type {Schemas['InviteLogItem'][]} */
  recent: [],
  inviteCodeRequired: false,
  error: '',
};

/** @type {HTMLElement | null} */
let root = null;
/** The dashboard's error line, with its Try again button. @type {(message: string) => void} */
let showError = () => {};

/** Outcomes by count, most first, without the empty ones. @param {Schemas['InviteTotals']} value @returns {Totals} */
function readTotals(value) {
  return {
    total: value.total,
    succeeded: value.succeeded,
    failed: value.failed,
    byOutcome: Object.entries(value.byOutcome)
      .filter(([, count]) => count > 0)
      .sort((a, b) => b[1] - a[1]),
  };
}

/** @param {string} id @param {string} heading @param {Totals} totals */
function statCard(id, heading, totals) {
  const show = (/** @type {number | undefined} */ value) => (totals && value !== undefined ? formatNumber(value) : '–');
  const rate = totals?.total ? Math.round((totals.succeeded / totals.total) * 100) : null;
  return html`<section id=${id} class="stat-card" aria-labelledby="${id}-heading">
    <h3 id="${id}-heading">${heading}</h3>
    <p class="stat-headline"><span class="stat-total">${show(totals?.total)}</span> invite requests</p>
    <dl class="stat-split">
      <div><dt>Succeeded</dt><dd class="stat-succeeded">${show(totals?.succeeded)}</dd></div>
      <div><dt>Failed</dt><dd class="stat-failed">${show(totals?.failed)}</dd></div>
      <div><dt>Success rate</dt><dd class="stat-rate">${rate === null ? '–' : `${rate}%`}</dd></div>
    </dl>
    <ul class="stat-breakdown" aria-label="By outcome, ${heading.toLowerCase()}" ?hidden=${!totals?.byOutcome.length}>
      ${(totals?.byOutcome ?? []).map(([outcome, count]) => html`<li>${outcomeLabel(outcome)}: ${formatNumber(count)}</li>`)}
    </ul>
  </section>`;
}

function plexPanel() {
  const plex = store.plex;
  const connection = PLEX_CONNECTION[asText(plex.connection)] ?? PLEX_CONNECTION.unknown;
  const lastError = cleanMessage(plex.lastError);
  const lastErrorAt = formatDateTime(plex.lastErrorAt);
  const required = store.codeRequired
    ? store.codeRequired.required || store.codeRequired.globalCodeSet
    : view.inviteCodeRequired;
  return html`<section id="plex-status" class="panel" aria-labelledby="plex-heading">
    <h2 id="plex-heading">Plex connection</h2>
    <dl class="facts">
      <dt>Server</dt><dd id="plex-server-name">${view.loaded ? asText(plex.serverName) || 'Unknown' : '–'}</dd>
      <dt>Owner token</dt>
      <dd id="plex-token-state">${badge(connection.kind, connection.text)}${connection.note ? ` ${connection.note}` : nothing}</dd>
      <dt>Last error</dt>
      <dd id="plex-last-error">${view.loaded ? (lastError ? `${lastError}${lastErrorAt ? ` (${lastErrorAt})` : ''}` : 'None') : '–'}</dd>
      <dt>Last checked</dt><dd id="plex-checked-at">${view.loaded ? formatDateTime(plex.checkedAt) || 'Not yet' : '–'}</dd>
      <dt>Waiting to accept</dt>
      <dd id="pending-acceptances">${
        store.pendingAcceptances === null ? '–' : plural(store.pendingAcceptances, 'person', 'people')
      }</dd>
      <dt>Invite code</dt>
      <dd id="invite-code-state">${
        view.loaded
          ? required
            ? 'Required on the guest page'
            : 'Not required: anyone with the page address can ask for an invite'
          : '–'
      }</dd>
    </dl>
  </section>`;
}

function template() {
  const week = sumDays(view.daily.slice(-7));
  const today = view.daily.at(-1) ?? { succeeded: 0, failed: 0 };
  return html`<section aria-labelledby="stats-heading">
      <h2 id="stats-heading" class="visually-hidden">Invite totals</h2>
      <div class="stats-grid">${STAT_CARDS.map(([id, heading, key]) => statCard(id, heading, view.totals[key] ?? null))}</div>
    </section>
    <section class="panel" aria-labelledby="chart-heading">
      <div class="panel-head">
        <h2 id="chart-heading">Invites per day</h2>
        <p class="panel-intro">Last 30 days</p>
      </div>
      ${chartTemplate(view.daily, byId('daily-chart'))}
      <ul class="legend" aria-hidden="true">
        <li><span class="swatch swatch-ok"></span>Succeeded</li>
        <li><span class="swatch swatch-fail"></span>Failed</li>
      </ul>
      <p id="chart-today" class="small-note" ?hidden=${!view.daily.length}>
        Today: ${formatNumber(today.succeeded + today.failed)} (${formatNumber(today.failed)} failed). Daily average this
        week: ${formatNumber(Math.round((week.total / 7) * 10) / 10)}.
      </p>
      <p id="chart-empty" class="small-note" ?hidden=${!view.daily.length || sumDays(view.daily).total > 0}>
        No invite requests in the last 30 days.
      </p>
      <table id="daily-table" class="visually-hidden">
        <caption>Invites per day, last 30 days</caption>
        <thead><tr><th scope="col">Date</th><th scope="col">Succeeded</th><th scope="col">Failed</th></tr></thead>
        <tbody>${view.daily.map(
          (day) => html`<tr><th scope="row">${formatDay(day.date, dayLongLabel)}</th>
            <td>${formatNumber(day.succeeded)}</td><td>${formatNumber(day.failed)}</td></tr>`,
        )}</tbody>
      </table>
    </section>
    <div class="columns">
      <section class="panel" aria-labelledby="recent-heading">
        <div class="panel-head">
          <h2 id="recent-heading">Recent invites</h2>
          <a id="full-log-link" href="/admin/log">Full invite log</a>
        </div>
        <table id="recent-invites" class="data-table stack-table" role="table">
          <caption class="visually-hidden">The 20 most recent invite requests, newest first</caption>
          ${tableHead(['Time', 'Who', 'Outcome', 'Libraries / reason'])}
          <tbody role="rowgroup">${
            view.loaded || view.recent.length ? inviteRows(view.recent, 'No invite requests yet.') : nothing
          }</tbody>
        </table>
      </section>
      ${plexPanel()}
    </div>`;
}

function bannerTemplate() {
  const lastError = cleanMessage(store.plex.lastError);
  return html`<div class="token-banner-inner">
    <strong id="token-banner-title">Your Plex token no longer works: invites are failing.</strong>
    <p id="token-banner-text">Update PLEX_TOKEN (in Key Vault or the app settings), then press “Refresh from Plex” under
      Shared libraries to check it.</p>
    <p id="token-banner-error" ?hidden=${!lastError}>${lastError ? `Last error from Plex: ${lastError}` : ''}</p>
  </div>`;
}

function update() {
  if (!root) return;
  render(template(), root);
  const banner = byId('token-banner');
  if (banner) {
    banner.hidden = store.plex.tokenValid !== false;
    render(bannerTemplate(), banner);
  }
  const serverName = asText(store.plex.serverName);
  const heading = byId('admin-server-name');
  if (heading) heading.textContent = serverName || 'Your Plex server';
  // The shell (shell.js) titles the page: the view, then the server.
  document.dispatchEvent(new CustomEvent('helpr:server-name', { detail: serverName }));
}

/**
 * Loads the dashboard. quiet: a reload after a change elsewhere, which says nothing while it works.
 * @param {boolean} quiet
 */
export async function loadDashboard(quiet) {
  if (view.loading) return;
  view.loading = true;
  const line = byId('dashboard-status');
  if (!quiet) {
    showError('');
    if (line) line.textContent = 'Loading dashboard…';
  }
  const answer = await getJson('/manage/dashboard', { key: 'dashboard' });
  view.loading = false;
  if (line) line.textContent = '';
  if (dropped(answer)) return;
  const data = answer.data;
  if (!data) {
    if (!quiet) showError(`Couldn't load the dashboard. ${failureText(answer)}`);
    return;
  }
  showError('');
  view.totals = {
    allTime: readTotals(data.totals.allTime),
    last24h: readTotals(data.totals.last24h),
    last7d: readTotals(data.totals.last7d),
  };
  view.daily = data.daily;
  view.recent = data.recent;
  view.inviteCodeRequired = data.inviteCodeRequired;
  view.loaded = true;
  store.plex = data.plex;
  store.libraries = readLibraries(data.libraries);
  changed();
}

export function resetOverview() {
  Object.assign(view, { loading: false, loaded: false, totals: {}, daily: [], recent: [], inviteCodeRequired: false });
  update();
}

/**
 * @param {HTMLElement} container
 * @param {(message: string) => void} errorLine
 */
export function mountOverview(container, errorLine) {
  root = container;
  showError = errorLine;
  subscribe(update);
  update();
  // The chart is drawn in CSS pixels, so it is drawn again when its width changes.
  let lastWidth = 0;
  new ResizeObserver((entries) => {
    const width = Math.round(entries[0]?.contentRect.width ?? 0);
    if (width && width !== lastWidth && view.daily.length) {
      lastWidth = width;
      update();
    }
  }).observe(container);
}
