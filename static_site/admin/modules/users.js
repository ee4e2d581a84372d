// @ts-check
/* Users: everyone who has access to the server, the people the portal let in and the shares made outside it (marked
   "Not managed", with Adopt). Search, filters, sorting and pages are done by the server, which reads plex.tv once
   and names that read (the snapshot) so the next page or filter reuses it; Refresh reads plex.tv again. One
   person's changes are in users-actions.js, changes to the people selected in users-bulk.js, and the comparison
   with Plex in reconciliation.js. */
import { html, nothing, render } from '../vendor/lit-html.js';
import { cleanMessage, dropped, failureText, PLEX_TIMEOUT_MS, pathFor, send } from './api.js';
import { formatNumber, parseTime, plural } from './format.js';
import { reconciliationSection, resetReconciliation } from './reconciliation.js';
import { changed, store, subscribe, tierName } from './store.js';
import * as ui from './ui.js';
import { rowActions, timeText } from './users-actions.js';
import { bulkBar, bulkSummary, pageSelected, resetBulk, select, selectPage } from './users-bulk.js';
import { connect, freshQuery, freshView, PAGE_SIZE, set, view } from './users-state.js';

/** @typedef {import('./users-state.js').User} User */
/** @typedef {import('./users-state.js').SortKey} SortKey */
/** @typedef {import('../types/api').components['schemas']['UserList']} UserList */

const USER_STATUS = Object.freeze({
  active: { kind: 'ok', text: 'Active' },
  expired: { kind: 'unknown', text: 'Expired' },
  revoked: { kind: 'fail', text: 'Revoked' },
});
const PLEX_STATUS = Object.freeze({
  pending: { kind: 'unknown', text: 'Invite pending' },
  accepted: { kind: 'ok', text: 'Accepted' },
  missing: { kind: 'fail', text: 'No share on Plex' },
  unknown: { kind: 'unknown', text: 'Unknown' },
});
/** @type {ReadonlyArray<[SortKey, 'asc' | 'desc', string]>} */
const SORTS = [
  ['granted', 'desc', 'Newest first'],
  ['name', 'asc', 'Name, A to Z'],
  ['tier', 'asc', 'Tier'],
  ['status', 'asc', 'Plex status'],
  ['expires', 'asc', 'Ending soonest'],
];

/** What the Sort menu says when a column header reversed one of the orders above. @type {Record<SortKey, string>} */
const REVERSED_SORTS = {
  granted: 'Oldest first',
  name: 'Name, Z to A',
  tier: 'Tier, Z to A',
  status: 'Plex status, reversed',
  expires: 'Ending latest',
};

/** @type {HTMLElement | null} */
let root = null;

/** People who haven't accepted their Plex invite yet: the Overview counts them. */
export function pendingCount() {
  return view.loaded ? (view.facets.plexStatus.pending ?? 0) : null;
}

/** @param {User} user */
function accessCell(user) {
  if (!user.managed) return nothing; // the badge is next to the name
  const detail =
    user.status === 'active'
      ? parseTime(user.expiresAt ?? '')
        ? timeText(user.expiresAt ?? '', 'until ')
        : 'no end date'
      : timeText(user.removedAt ?? '', 'on ');
  return html`${ui.statusBadge(USER_STATUS, user.status, user.status || 'Unknown')}${
    detail === nothing ? nothing : html` <span class="access-detail">${detail}</span>`
  }${
    user.status !== 'active' && user.removalNote
      ? html`<span class="access-detail detail-muted">${cleanMessage(user.removalNote)}</span>`
      : nothing
  }`;
}

/** @param {User} user */
function whoCell(user) {
  const shown = user.displayName && user.displayName.toLowerCase() !== user.identifier ? user.displayName : '';
  return html`${user.identifier}${shown ? html` <span class="detail-muted">(${shown})</span>` : nothing}${
    user.managed ? nothing : html` ${ui.badge('neutral', 'Not managed')}`
  }`;
}

/** @param {User} user @param {number} index */
function userRow(user, index) {
  const plex = Object.hasOwn(PLEX_STATUS, user.plexStatus) && user.status !== 'expired' && user.status !== 'revoked';
  const invite = user.inviteCode ? html`<span class="link-code">${user.inviteCode}</span>` : '—';
  return html`<tr role="row" data-identifier=${user.identifier}>
    <td role="cell" class="cell-select" data-label="Select">
      <input type="checkbox" class="user-select" id="user-select-${index}" .checked=${view.selected.has(user.identifier)}
        aria-label="Select ${user.identifier}" @change=${(/** @type {Event} */ event) =>
          select(user.identifier, /** @type {HTMLInputElement} */ (event.currentTarget).checked)}>
    </td>
    <th scope="row" role="rowheader" class="cell-who" tabindex="-1">${whoCell(user)}</th>
    ${ui.cell('Tier', user.managed ? user.tierName || tierName(user.tierId) || '–' : '–')}
    ${user.managed ? ui.cell('Invite', invite, 'cell-invite') : ui.cell('Libraries', user.libraries.join(', ') || '—', 'cell-invite')}
    ${ui.cell('Plex status', plex ? ui.statusBadge(PLEX_STATUS, user.plexStatus, '') : nothing, 'cell-plex')}
    ${ui.cell('Access', accessCell(user), 'cell-access cell-wide')}
    <td role="cell" class="cell-actions cell-wide">${rowActions(user, index)}</td>
  </tr>`;
}

/** The Sort menu's choices, with the current order among them even when a column header reversed it.
    @param {SortKey} sort @param {string} order @returns {Array<[string, string]>} */
function sortOptions(sort, order) {
  /** @type {Array<[string, string]>} */
  const options = SORTS.map(([key, direction, text]) => [`${key}:${direction}`, text]);
  const chosen = `${sort}:${order}`;
  if (!options.some(([value]) => value === chosen)) options.push([chosen, REVERSED_SORTS[sort]]);
  return options;
}

/** @param {string} text @param {SortKey | ''} key */
function heading(text, key) {
  if (!key)
    return html`<th scope="col" role="columnheader">${text || html`<span class="visually-hidden">Actions</span>`}</th>`;
  const current = view.query.sort === key;
  const sort = current ? (view.query.order === 'asc' ? 'ascending' : 'descending') : 'none';
  return html`<th scope="col" role="columnheader" aria-sort=${sort}>
    <button type="button" class="sort-button" data-sort=${key} @click=${() => sortBy(key)}>${text}${
      current ? (view.query.order === 'asc' ? ' ▲' : ' ▼') : ''
    }</button></th>`;
}

/** @param {SortKey} key */
function sortBy(key) {
  const same = view.query.sort === key;
  const order = same ? (view.query.order === 'asc' ? 'desc' : 'asc') : key === 'granted' ? 'desc' : 'asc';
  query({ sort: key, order, page: 1 });
}

/** @param {string} id @param {string} label @param {string} value @param {Array<[string, string]>} options @param {string} name */
function filterSelect(id, label, value, options, name) {
  return html`<div class="field"><label for=${id}>${label}</label>
    <select id=${id} class="select-small" @change=${(/** @type {Event} */ event) =>
      query({ [name]: /** @type {HTMLSelectElement} */ (event.currentTarget).value, page: 1 })}>
      ${options.map(([key, text]) => html`<option value=${key} ?selected=${key === value}>${text}</option>`)}
    </select></div>`;
}

/** @param {Record<string, number>} counts @param {string} key */
const count = (counts, key) => ` (${formatNumber(counts[key] ?? 0)})`;

function toolbar() {
  const { facets, query: q } = view;
  const tiers = /** @type {Array<[string, string]>} */ ([
    ['', 'All tiers'],
    ...store.tiers.map(
      (tier) => /** @type {[string, string]} */ ([tier.id, `${tier.name}${count(facets.tier, tier.id)}`]),
    ),
  ]);
  return html`<form id="users-filters" class="filters users-filters" role="search" @submit=${(
    /** @type {Event} */ event,
  ) => {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ (ui.byId('users-search'));
    query({ q: input.value.trim(), page: 1 });
  }}>
    <div class="field search-field"><label for="users-search">Search</label>
      <div class="search-row"><input id="users-search" type="search" .value=${q.q} placeholder="Name, email or invite code">
        <button type="submit" class="button button-secondary button-small">Search</button></div></div>
    ${filterSelect(
      'users-filter-status',
      'Access',
      q.status,
      [
        ['', 'Everyone'],
        ['active', `Active${count(facets.status, 'active')}`],
        ['ended', `Ended${count(facets.status, 'ended')}`],
        ['unmanaged', `Not managed${count(facets.status, 'unmanaged')}`],
      ],
      'status',
    )}
    ${filterSelect(
      'users-filter-plex',
      'Plex status',
      q.plexStatus,
      [
        ['', 'Any'],
        ['pending', `Invite pending${count(facets.plexStatus, 'pending')}`],
        ['accepted', `Accepted${count(facets.plexStatus, 'accepted')}`],
        ['missing', `No share on Plex${count(facets.plexStatus, 'missing')}`],
      ],
      'plexStatus',
    )}
    ${filterSelect('users-filter-tier', 'Tier', q.tier, tiers, 'tier')}
    ${filterSelect('users-sort', 'Sort', `${q.sort}:${q.order}`, sortOptions(q.sort, q.order), 'sortChoice')}
    <div class="check-row">
      <label class="check-option" for="users-ending-soon">
        <input id="users-ending-soon" type="checkbox" .checked=${q.endingSoon} ?disabled=${!view.loaded}
          @change=${(/** @type {Event} */ event) => query({ endingSoon: /** @type {HTMLInputElement} */ (event.currentTarget).checked, page: 1 })}>
        <span>Ending within 7 days (${formatNumber(facets.flags.endingSoon)})</span></label>
      <label class="check-option" for="users-more-time-only">
        <input id="users-more-time-only" type="checkbox" .checked=${q.moreTime} ?disabled=${!view.loaded}
          @change=${(/** @type {Event} */ event) => query({ moreTime: /** @type {HTMLInputElement} */ (event.currentTarget).checked, page: 1 })}>
        <span>Only people who asked for more time (${formatNumber(facets.flags.moreTime)})</span></label>
      <label class="check-option" for="users-select-page">
        <input id="users-select-page" type="checkbox" .checked=${pageSelected()} ?disabled=${!view.users.length}
          @change=${(/** @type {Event} */ event) => selectPage(/** @type {HTMLInputElement} */ (event.currentTarget).checked)}>
        <span>Select everyone on this page</span></label>
    </div>
  </form>`;
}

function pager() {
  const pages = Math.max(1, Math.ceil(view.total / PAGE_SIZE));
  const page = view.query.page;
  return html`<nav class="pager" aria-label="Pages of people">
    <button id="users-prev" type="button" class="button button-secondary button-small" ?disabled=${page <= 1 || view.loading}
      @click=${() => turnPage(page - 1)}>Previous</button>
    <p id="users-page" class="pager-label">Page ${page} of ${pages} · ${plural(view.total, 'person', 'people')}</p>
    <button id="users-next" type="button" class="button button-secondary button-small" ?disabled=${page >= pages || view.loading}
      @click=${() => turnPage(page + 1)}>Next</button>
  </nav>`;
}

function emptyText() {
  const q = view.query;
  if (q.moreTime) return 'No one is waiting for more time.';
  if (q.q || q.tier || q.status || q.plexStatus || q.endingSoon) return 'No one matches these filters.';
  return 'No one has access yet.';
}

function template() {
  return html`<div class="panel-head">
      <h2 id="users-heading" tabindex="-1">Users</h2>
      <button id="refresh-users" class="button button-secondary button-inline" type="button" ?disabled=${view.loading}
        aria-busy=${view.loading ? 'true' : 'false'} @click=${() => loadUsers(true)}>${view.loading ? 'Refreshing…' : 'Refresh'}</button>
    </div>
    <p class="panel-intro">Everyone who has access to your server: the people the portal let in, and the shares you made
      in Plex yourself (“Not managed”: adopt them to give them a tier and an end date). Refresh asks plex.tv again.</p>
    ${ui.statusLine('users-status', view.status)}
    ${toolbar()}
    ${bulkBar()}
    ${bulkSummary()}
    <table id="users-table" class="data-table card-table" role="table" tabindex="-1" @input=${ui.clearInvalidOnInput}>
      <caption class="visually-hidden">Everyone with access to the server</caption>
      <thead role="rowgroup"><tr role="row">
        ${heading('Select', '')}${heading('Who', 'name')}${heading('Tier', 'tier')}${heading('Invite or libraries', '')}
        ${heading('Plex status', 'status')}${heading('Access', 'expires')}${heading('', '')}
      </tr></thead>
      <tbody role="rowgroup">${
        view.users.length ? view.users.map(userRow) : view.loaded ? ui.emptyRow(7, emptyText()) : nothing
      }</tbody>
    </table>
    ${pager()}
    ${reconciliationSection()}`;
}

function update() {
  if (root) render(template(), root);
}

/** @param {Partial<ReturnType<typeof freshQuery>> & { sortChoice?: string }} changes */
function query(changes) {
  const { sortChoice, ...rest } = changes;
  if (sortChoice) {
    const [sort, order] = sortChoice.split(':');
    Object.assign(rest, { sort, order, page: 1 });
  }
  view.query = { ...view.query, ...rest };
  void load(false, true);
}

/** Another page. The pager's buttons are disabled while it loads, which drops focus, so it moves to the table's
    start, where the new page begins. @param {number} page */
async function turnPage(page) {
  view.query = { ...view.query, page };
  await load(false, true);
  ui.restoreFocus('users-table');
}

function queryString() {
  const q = view.query;
  const params = new URLSearchParams({
    sort: q.sort,
    order: q.order,
    page: String(q.page),
    pageSize: String(PAGE_SIZE),
  });
  for (const [name, value] of /** @type {const} */ ([
    ['q', q.q],
    ['tier', q.tier],
    ['status', q.status],
    ['plexStatus', q.plexStatus],
  ]))
    if (value) params.set(name, value);
  if (q.endingSoon) params.set('endingSoon', 'true');
  if (q.moreTime) params.set('moreTime', 'true');
  if (view.snapshot) params.set('snapshot', view.snapshot);
  return params.toString();
}

/**
 * Loads the page the query names. quiet: after a change (keep the status line); reuse: the owner paged or filtered
 * (reuse plex.tv's read); otherwise plex.tv is read again.
 * @param {boolean} quiet @param {boolean} [reuse]
 */
async function load(quiet, reuse = quiet) {
  if (!reuse) view.snapshot = '';
  set({ loading: true, status: quiet || reuse ? view.status : ui.status('Loading people from plex.tv…') });
  const answer = await send('GET', `${pathFor('/manage/users')}?${queryString()}`, undefined, PLEX_TIMEOUT_MS, 'users');
  if (dropped(answer)) return false;
  view.loading = false;
  if (!answer.ok || !Array.isArray(answer.body.items)) {
    set({ status: ui.status(`Couldn't load the users. ${failureText(answer)}`, 'error') });
    return false;
  }
  const list = /** @type {UserList} */ (/** @type {unknown} */ (answer.body));
  const plexError = cleanMessage(list.plexError ?? '');
  set({
    users: list.items,
    total: list.total,
    facets: list.facets,
    snapshot: list.snapshot,
    loaded: true,
    status: plexError
      ? ui.status(
          `Couldn't read who accepted from plex.tv, so each person's Plex status is unknown. ${plexError}`,
          'error',
        )
      : view.status,
  });
  store.pendingAcceptances = pendingCount();
  changed();
  return true;
}

/** Loads the people (asks plex.tv). moveFocus: the owner pressed Refresh, so say how many there are. @param {boolean} moveFocus */
export async function loadUsers(moveFocus) {
  if (view.loading) return;
  const loaded = await load(false);
  if (loaded && moveFocus && view.status.kind !== 'error')
    set({ status: ui.status(`Users list updated: ${plural(view.total, 'person', 'people')}.`, 'ok') });
  else if (loaded && view.status.text.startsWith('Loading')) set({ status: ui.NO_STATUS });
  if (moveFocus) ui.restoreFocus('refresh-users');
}

export function resetUsers() {
  Object.assign(view, freshView());
  resetBulk();
  resetReconciliation();
  update();
}

/** @param {HTMLElement} container */
export function mountUsers(container) {
  root = container;
  connect(update, (quiet) => load(quiet).then(() => undefined));
  subscribe(update);
  update();
}
