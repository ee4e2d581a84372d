// @ts-check
/* One person's changes in the Users list: change tier, extend (or give an end date to access that has none), revoke; and for a share made outside the portal,
   adopt it (a tier and an optional end date, without inviting again). A guest's open request for more time is
   marked next to Extend, which answers it. After a change the page is loaded again. */
import { html, nothing } from '../vendor/lit-html.js';
import { dropped, failureText, PLEX_TIMEOUT_MS, request } from './api.js';
import { longDateTime, parseTime, plural, readWhole } from './format.js';
import { store, tierName } from './store.js';
import * as ui from './ui.js';
import { endOfDay, MAX_ACCESS_DAYS, reload, rowOf, set, view } from './users-state.js';

/** @typedef {import('./users-state.js').User} User */
/** @typedef {'revoke' | 'tier' | 'extend' | 'ends' | 'adopt'} Action */

const DEFAULT_EXTEND_DAYS = 30;

/** @param {string} value @param {string} prefix */
export function timeText(value, prefix) {
  const date = parseTime(value);
  return date ? html`${prefix}<time datetime=${value}>${longDateTime.format(date)}</time>` : nothing;
}

/** @param {User} user */
export function askedForMoreTime(user) {
  return user.status === 'active' && parseTime(user.moreTimeRequestedAt ?? '') !== null;
}

/** @param {string} current @param {string} currentName @param {string} id @param {string} label @param {boolean} busy */
function tierSelect(current, currentName, id, label, busy) {
  const tiers = store.tiers.length ? store.tiers : [{ id: current || 'default', name: currentName || 'Default' }];
  const known = !current || tiers.some((tier) => tier.id === current);
  return html`<label class="visually-hidden" for=${id}>${label}</label>
    <select id=${id} class="select-small user-tier-select" ?disabled=${busy}>
      ${known ? nothing : html`<option value=${current} selected>${currentName || current}</option>`}
      ${tiers.map((tier) => html`<option value=${tier.id} ?selected=${tier.id === current}>${tier.name}</option>`)}
    </select>`;
}

/** @param {User} user @param {number} index */
export function rowActions(user, index) {
  const who = user.identifier;
  const busy = view.changing === who;
  /** @param {Action} action @param {string} idle @param {string} doing */
  const label = (action, idle, doing) => (busy && view.action === action ? doing : idle);
  if (!user.managed) {
    return html`<div class="row-actions">
      <div class="action-group">${tierSelect('', '', `user-tier-${index}`, `Tier for ${who}`, busy)}</div>
      <div class="action-group">
        <label class="unit" for="user-ends-${index}">Ends</label>
        <input id="user-ends-${index}" class="input-date user-adopt-ends" type="date" ?disabled=${busy}>
      </div>
      <button type="button" class="button button-secondary button-small" data-action="adopt" aria-label="Adopt ${who}"
        ?disabled=${busy} @click=${() => change(user, 'adopt')}>${label('adopt', 'Adopt', 'Adopting…')}</button>
    </div>`;
  }
  if (user.status !== 'active') return nothing;
  return html`<div class="row-actions">
    <div class="action-group">
      ${tierSelect(user.tierId, user.tierName, `user-tier-${index}`, `Tier for ${who}`, busy)}
      <button type="button" class="button button-secondary button-small" data-action="tier" aria-label="Change tier for ${who}"
        ?disabled=${busy} @click=${() => change(user, 'tier')}>${label('tier', 'Change tier', 'Changing…')}</button>
    </div>
    <div class="action-group">
      ${
        // Access with no end date has nothing to extend: it can be given an end instead.
        user.expiresAt
          ? html`<label class="visually-hidden" for="user-days-${index}">Days to add to the access of ${who}</label>
      <input id="user-days-${index}" class="input-small user-extend-days" type="number" min="1" max=${MAX_ACCESS_DAYS}
        step="1" value=${DEFAULT_EXTEND_DAYS} inputmode="numeric" ?disabled=${busy}>
      <span class="unit">days</span>
      <button type="button" class="button button-secondary button-small" data-action="extend" aria-label="Extend access for ${who}"
        ?disabled=${busy} @click=${() => change(user, 'extend')}>${label('extend', 'Extend', 'Extending…')}</button>`
          : html`<label class="unit" for="user-end-${index}">Ends</label>
      <input id="user-end-${index}" class="input-date user-end-date" type="date" ?disabled=${busy}>
      <button type="button" class="button button-secondary button-small" data-action="ends" aria-label="Set an end date for ${who}"
        ?disabled=${busy} @click=${() => change(user, 'ends')}>${label('ends', 'Set', 'Setting…')}</button>`
      }
      ${
        askedForMoreTime(user)
          ? html`<span class="more-time-request badge badge-unknown">${timeText(user.moreTimeRequestedAt ?? '', 'Asked for more time on ')}</span>`
          : nothing
      }
    </div>
    <button type="button" class="button button-secondary button-small button-danger" data-action="revoke"
      aria-label="Revoke access for ${who}" ?disabled=${busy} @click=${() => change(user, 'revoke')}>
      ${label('revoke', 'Revoke', 'Revoking…')}</button>
  </div>`;
}

/**
 * What the action asks the API for, or why it can't (with the input to fix), or null when the owner said no.
 * @param {Action} action @param {User} user @param {Element} row
 * @returns {{ body: { tierId?: string, extendDays?: number, expiresAt?: string | null }, doing: string, done: string }
 *   | { problem: string, input: HTMLElement | null, invalid: boolean } | null}
 */
function plan(action, user, row) {
  const who = user.identifier;
  const select = /** @type {HTMLSelectElement | null} */ (row.querySelector('select.user-tier-select'));
  if (action === 'revoke') {
    if (!ui.confirmed(`Revoke access for ${who}? Their share on Plex is removed right away.`)) return null;
    return { body: {}, doing: `Revoking access for ${who}…`, done: `Revoked access for ${who}.` };
  }
  if (action === 'adopt') {
    const day = /** @type {HTMLInputElement | null} */ (row.querySelector('input.user-adopt-ends'))?.value ?? '';
    const tier = tierName(select?.value ?? 'default') || 'Default';
    const ends = day ? ` until ${day}` : '';
    return {
      body: { tierId: select?.value || 'default', expiresAt: day ? endOfDay(day) : null },
      doing: `Adopting ${who}…`,
      done: `${who} is now managed by the portal on the tier “${tier}”${ends}.`,
    };
  }
  if (action === 'tier') {
    if (!select?.value) return null;
    if (select.value === user.tierId)
      return { problem: `${who} is already on that tier.`, input: select, invalid: false };
    const name = tierName(select.value);
    return {
      body: { tierId: select.value },
      doing: `Moving ${who} to the tier “${name}”…`,
      done: `${who} is now on the tier “${name}”.`,
    };
  }
  if (action === 'ends') {
    const input = /** @type {HTMLInputElement | null} */ (row.querySelector('input.user-end-date'));
    const day = input?.value ?? '';
    if (!day || Date.parse(endOfDay(day)) <= Date.now())
      return { problem: `Choose a day from today on for ${who}'s access to end.`, input, invalid: true };
    return {
      body: { expiresAt: endOfDay(day) },
      doing: `Setting an end date for ${who}…`,
      done: `${who}'s access now ends at the end of ${day}.`,
    };
  }
  const input = /** @type {HTMLInputElement | null} */ (row.querySelector('input.user-extend-days'));
  const days = input ? readWhole(input.value, 1, MAX_ACCESS_DAYS) : null;
  if (days === null) return { problem: 'Extend by a whole number of days from 1 to 3650.', input, invalid: true };
  return {
    body: { extendDays: days },
    doing: `Extending access for ${who} by ${plural(days, 'day', 'days')}…`,
    done: `Extended access for ${who} by ${plural(days, 'day', 'days')}.`,
  };
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
    if (planned.invalid && (planned.input instanceof HTMLInputElement || planned.input instanceof HTMLSelectElement))
      ui.reportAtField(planned.input, planned.problem);
    return;
  }
  set({ changing: user.identifier, action, status: ui.status(planned.doing) });
  const options = { params: { identifier: user.identifier }, timeoutMs: PLEX_TIMEOUT_MS };
  const answer =
    action === 'revoke'
      ? await request('POST', '/manage/users/{identifier}/revoke', options)
      : action === 'adopt'
        ? await request('POST', '/manage/users/{identifier}/adopt', { ...options, body: planned.body })
        : await request('PATCH', '/manage/users/{identifier}', { ...options, body: planned.body });
  if (dropped(answer)) return;
  view.changing = '';
  view.action = '';
  if (!answer.ok) {
    set({ status: ui.status(`Couldn't change ${user.identifier}. ${failureText(answer)}`, 'error') });
    ui.restoreFocus('users-heading');
    return;
  }
  view.status = ui.status(planned.done, 'ok');
  await reload();
  const again = /** @type {HTMLElement | null} */ (
    rowOf(user.identifier)?.querySelector(`button[data-action="${action}"]`)
  );
  const header = /** @type {HTMLElement | null} */ (rowOf(user.identifier)?.querySelector('th'));
  (again ?? header ?? ui.byId('users-heading'))?.focus(); // a row the filter now hides: back to the heading
}
