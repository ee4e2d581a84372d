// @ts-check
/* Users: everyone who got access through the portal, whether they accepted on Plex, and per person: change tier,
   extend access, revoke. A guest's open request for more time (from the status page) is marked next to Extend,
   which answers it, and the list can show only those people. Loading the list asks plex.tv, so it only refreshes
   when the owner asks. */
import { html, nothing, render } from '../vendor/lit-html.js';
import { asText, cleanMessage, dropped, failureText, isObject, PLEX_TIMEOUT_MS, request } from './api.js';
import { formatDateTime, longDateTime, parseTime, plural, readWhole } from './format.js';
import { changed, store, subscribe, tierName } from './store.js';
import * as ui from './ui.js';

/**
 * @typedef {{ identifier: string, tierId: string, tierName: string, inviteCode: string, expiresAt: string,
 *   status: string, removedAt: string, removalNote: string, plexStatus: string, moreTimeRequestedAt: string }} User
 */
/** @typedef {'revoke' | 'tier' | 'extend'} Action */

const MAX_ACCESS_DAYS = 3650;
const DEFAULT_EXTEND_DAYS = 30;
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

const view = {
  /** @type {User[]} */
  users: [],
  loaded: false,
  loading: false,
  /** @type {string} the person a change is on its way for */
  changing: '',
  /** @type {Action | ''} */
  action: '',
  status: ui.NO_STATUS,
  /** only the people with an open request for more time */
  onlyMoreTime: false,
};

/** @type {HTMLElement | null} */
let root = null;

/** @param {Record<string, unknown>} item @returns {User} */
function readUser(item) {
  return {
    identifier: asText(item.identifier),
    tierId: asText(item.tierId),
    tierName: asText(item.tierName),
    inviteCode: asText(item.inviteCode),
    expiresAt: asText(item.expiresAt),
    status: asText(item.status),
    removedAt: asText(item.removedAt),
    removalNote: asText(item.removalNote),
    plexStatus: asText(item.plexStatus),
    moreTimeRequestedAt: asText(item.moreTimeRequestedAt),
  };
}

/** @param {User} user */
function askedForMoreTime(user) {
  return user.status === 'active' && parseTime(user.moreTimeRequestedAt) !== null;
}

/** People who haven't accepted their Plex invite yet: the Overview counts them. */
export function pendingCount() {
  return view.loaded
    ? view.users.filter((user) => user.status === 'active' && user.plexStatus === 'pending').length
    : null;
}

/** @param {string} value @param {string} prefix */
function timeText(value, prefix) {
  const date = parseTime(value);
  return date ? html`${prefix}<time datetime=${value}>${longDateTime.format(date)}</time>` : nothing;
}

/** @param {User} user */
function accessCell(user) {
  const detail =
    user.status === 'active'
      ? parseTime(user.expiresAt)
        ? timeText(user.expiresAt, 'until ')
        : 'no end date'
      : timeText(user.removedAt, 'on ');
  return html`${ui.statusBadge(USER_STATUS, user.status, user.status || 'Unknown')}${
    detail === nothing ? nothing : html` <span class="access-detail">${detail}</span>`
  }${
    user.status !== 'active' && user.removalNote
      ? html`<span class="access-detail detail-muted">${cleanMessage(user.removalNote)}</span>`
      : nothing
  }`;
}

/** @param {User} user @param {number} index */
function actions(user, index) {
  if (user.status !== 'active') return nothing;
  const who = user.identifier;
  const busy = view.changing === who;
  const tiers = store.tiers.length ? store.tiers : [{ id: user.tierId, name: user.tierName || user.tierId }];
  const known = tiers.some((tier) => tier.id === user.tierId);
  const busyText = (/** @type {Action} */ action, /** @type {string} */ idle, /** @type {string} */ doing) =>
    busy && view.action === action ? doing : idle;
  return html`<div class="row-actions">
    <div class="action-group">
      <label class="visually-hidden" for="user-tier-${index}">Tier for ${who}</label>
      <select id="user-tier-${index}" class="select-small user-tier-select" ?disabled=${busy}>
        ${known ? nothing : html`<option value=${user.tierId} selected>${user.tierName || user.tierId}</option>`}
        ${tiers.map((tier) => html`<option value=${tier.id} ?selected=${tier.id === user.tierId}>${tier.name}</option>`)}
      </select>
      <button type="button" class="button button-secondary button-small" data-action="tier" aria-label="Change tier for ${who}"
        ?disabled=${busy} @click=${() => change(user, 'tier')}>${busyText('tier', 'Change tier', 'Changing…')}</button>
    </div>
    <div class="action-group">
      <label class="visually-hidden" for="user-days-${index}">Days to add to the access of ${who}</label>
      <input id="user-days-${index}" class="input-small user-extend-days" type="number" min="1" max=${MAX_ACCESS_DAYS}
        step="1" value=${DEFAULT_EXTEND_DAYS} inputmode="numeric" ?disabled=${busy}>
      <span class="unit">days</span>
      <button type="button" class="button button-secondary button-small" data-action="extend" aria-label="Extend access for ${who}"
        ?disabled=${busy} @click=${() => change(user, 'extend')}>${busyText('extend', 'Extend', 'Extending…')}</button>
      ${
        askedForMoreTime(user)
          ? html`<span class="more-time-request badge badge-unknown">${timeText(user.moreTimeRequestedAt, 'Asked for more time on ')}</span>`
          : nothing
      }
    </div>
    <button type="button" class="button button-secondary button-small button-danger" data-action="revoke"
      aria-label="Revoke access for ${who}" ?disabled=${busy} @click=${() => change(user, 'revoke')}>
      ${busyText('revoke', 'Revoke', 'Revoking…')}</button>
  </div>`;
}

/** @param {User} user @param {number} index */
function userRow(user, index) {
  const plex = user.status === 'active' && Object.hasOwn(PLEX_STATUS, user.plexStatus);
  return html`<tr role="row" data-identifier=${user.identifier}>
    <th scope="row" role="rowheader" class="cell-who" tabindex="-1">${user.identifier}</th>
    ${ui.cell('Tier', user.tierName || tierName(user.tierId) || '–')}
    ${ui.cell('Invite', user.inviteCode ? html`<span class="link-code">${user.inviteCode}</span>` : '—', 'cell-invite')}
    ${ui.cell('Plex status', plex ? ui.statusBadge(PLEX_STATUS, user.plexStatus, '') : nothing, 'cell-plex')}
    ${ui.cell('Access', accessCell(user), 'cell-access cell-wide')}
    <td role="cell" class="cell-actions cell-wide">${actions(user, index)}</td>
  </tr>`;
}

function moreTimeFilter() {
  const asking = view.users.filter(askedForMoreTime).length;
  return html`<div class="check-row">
    <label class="check-option" for="users-more-time-only">
      <input id="users-more-time-only" type="checkbox" .checked=${view.onlyMoreTime} ?disabled=${!view.loaded}
        @change=${(/** @type {Event} */ event) =>
          set({ onlyMoreTime: /** @type {HTMLInputElement} */ (event.currentTarget).checked })}>
      <span>Only people who asked for more time (${asking})</span>
    </label>
  </div>`;
}

function template() {
  const shown = view.onlyMoreTime ? view.users.filter(askedForMoreTime) : view.users;
  return html`<div class="panel-head">
      <h2 id="users-heading" tabindex="-1">Users</h2>
      <button id="refresh-users" class="button button-secondary button-inline" type="button" ?disabled=${view.loading}
        aria-busy=${view.loading ? 'true' : 'false'} @click=${() => loadUsers(true)}>${view.loading ? 'Refreshing…' : 'Refresh'}</button>
    </div>
    <p class="panel-intro">People who got access through the portal. Loading this list asks plex.tv for your shares, so it only refreshes when you ask.</p>
    ${ui.statusLine('users-status', view.status)}
    ${moreTimeFilter()}
    <table id="users-table" class="data-table card-table" role="table" @input=${ui.clearInvalidOnInput}>
      <caption class="visually-hidden">People with access through the portal</caption>
      ${ui.tableHead(['Who', 'Tier', 'Invite', 'Plex status', 'Access', 'Actions'])}
      <tbody role="rowgroup">${
        shown.length
          ? shown.map(userRow)
          : view.loaded
            ? ui.emptyRow(
                6,
                view.onlyMoreTime ? 'No one is waiting for more time.' : 'No one has joined through the portal yet.',
              )
            : nothing
      }</tbody>
    </table>`;
}

function update() {
  if (root) render(template(), root);
}

/** @param {Partial<typeof view>} changes */
function set(changes) {
  Object.assign(view, changes);
  update();
}

/** @param {string} identifier */
function rowOf(identifier) {
  return root?.querySelector(`tr[data-identifier="${CSS.escape(identifier)}"]`) ?? null;
}

/**
 * What the action asks the API for, or why it can't (with the input to fix), or null when the owner said no.
 * @param {Action} action @param {User} user @param {Element} row
 * @returns {{ method: 'POST' | 'PATCH', body: { tierId?: string, extendDays?: number }, doing: string }
 *   | { problem: string, input: HTMLElement | null, invalid: boolean } | null}
 */
function plan(action, user, row) {
  const who = user.identifier;
  if (action === 'revoke') {
    if (!ui.confirmed(`Revoke access for ${who}? Their share on Plex is removed right away.`)) return null;
    return { method: 'POST', body: {}, doing: `Revoking access for ${who}…` };
  }
  if (action === 'tier') {
    const select = /** @type {HTMLSelectElement | null} */ (row.querySelector('select.user-tier-select'));
    if (!select?.value) return null;
    if (select.value === user.tierId)
      return { problem: `${who} is already on that tier.`, input: select, invalid: false };
    return {
      method: 'PATCH',
      body: { tierId: select.value },
      doing: `Moving ${who} to the tier “${tierName(select.value)}”…`,
    };
  }
  const input = /** @type {HTMLInputElement | null} */ (row.querySelector('input.user-extend-days'));
  const days = input ? readWhole(input.value, 1, MAX_ACCESS_DAYS) : null;
  if (days === null) return { problem: 'Extend by a whole number of days from 1 to 3650.', input, invalid: true };
  return {
    method: 'PATCH',
    body: { extendDays: days },
    doing: `Extending access for ${who} by ${plural(days, 'day', 'days')}…`,
  };
}

/** @param {Action} action @param {User} user */
function doneText(action, user) {
  if (action === 'revoke') return `Revoked access for ${user.identifier}.`;
  if (action === 'tier') return `${user.identifier} is now on the tier “${user.tierName || user.tierId}”.`;
  const until = formatDateTime(user.expiresAt);
  return `Extended access for ${user.identifier}${until ? ` until ${until}` : ''}.`;
}

/** @param {User} user @param {Action} action */
async function change(user, action) {
  const row = rowOf(user.identifier);
  if (!row || view.changing) return;
  const planned = plan(action, user, row);
  if (!planned) return;
  if ('problem' in planned) {
    set({ status: ui.status(planned.problem, planned.invalid ? 'error' : '') });
    ui.setInvalid(planned.input, planned.invalid);
    planned.input?.focus();
    return;
  }
  set({ changing: user.identifier, action, status: ui.status(planned.doing) });
  const options = { params: { identifier: user.identifier }, timeoutMs: PLEX_TIMEOUT_MS };
  const answer =
    action === 'revoke'
      ? await request('POST', '/manage/users/{identifier}/revoke', options)
      : await request('PATCH', '/manage/users/{identifier}', { ...options, body: planned.body });
  if (dropped(answer)) return;
  view.changing = '';
  view.action = '';
  if (!answer.ok || !asText(answer.body.status)) {
    set({ status: ui.status(`Couldn't change ${user.identifier}. ${failureText(answer)}`, 'error') });
    ui.restoreFocus('users-heading');
    return;
  }
  // The answer is the grant only: keep the tier name and Plex status known already.
  const updated = readUser({ ...answer.body, identifier: user.identifier });
  updated.tierName = updated.tierId === user.tierId ? user.tierName : tierName(updated.tierId);
  updated.plexStatus = updated.status === 'active' ? user.plexStatus : '';
  // Extending answers an open request for more time; a tier change leaves it open.
  updated.moreTimeRequestedAt = action === 'tier' ? user.moreTimeRequestedAt : '';
  set({
    users: view.users.map((entry) => (entry.identifier === user.identifier ? updated : entry)),
    status: ui.status(doneText(action, updated), 'ok'),
  });
  const again = /** @type {HTMLElement | null} */ (
    rowOf(user.identifier)?.querySelector(`button[data-action="${action}"]`)
  );
  const header = /** @type {HTMLElement | null} */ (rowOf(user.identifier)?.querySelector('th'));
  (again ?? header ?? ui.byId('users-heading'))?.focus(); // a row the filter now hides: back to the heading
}

/** Loads the people (asks plex.tv). moveFocus: the owner pressed Refresh, so say how many there are. @param {boolean} moveFocus */
export async function loadUsers(moveFocus) {
  if (view.loading) return;
  set({ loading: true, status: ui.status('Loading people from plex.tv…') });
  const answer = await request('GET', '/manage/users', { timeoutMs: PLEX_TIMEOUT_MS, key: 'users' });
  if (dropped(answer)) return;
  view.loading = false;
  const items = answer.ok && Array.isArray(answer.body.items) ? answer.body.items : null;
  if (!items) {
    set({ status: ui.status(`Couldn't load the users. ${failureText(answer)}`, 'error') });
  } else {
    view.users = items.filter((item) => isObject(item) && asText(item.identifier)).map(readUser);
    view.loaded = true;
    const plexError = cleanMessage(answer.body.plexError);
    set({
      status: plexError
        ? ui.status(
            `Couldn't read who accepted from plex.tv, so each person's Plex status is unknown. ${plexError}`,
            'error',
          )
        : moveFocus
          ? ui.status(`Users list updated: ${plural(view.users.length, 'person', 'people')}.`, 'ok')
          : ui.NO_STATUS,
    });
    store.pendingAcceptances = pendingCount();
    changed();
  }
  if (moveFocus) ui.restoreFocus('refresh-users');
}

export function resetUsers() {
  Object.assign(view, {
    users: [],
    loaded: false,
    loading: false,
    changing: '',
    action: '',
    status: ui.NO_STATUS,
    onlyMoreTime: false,
  });
  update();
}

/** @param {HTMLElement} container */
export function mountUsers(container) {
  root = container;
  subscribe(update);
  update();
}
