// @ts-check
/* Changes to the people selected in the Users list (up to 200 at once): extend, change tier, revoke, or adopt the
   shares made outside the portal. The server answers what happened to each, shown as a list until dismissed. */
import { html, nothing } from '../vendor/lit-html.js';
import { asText, dropped, failureText, isObject, PLEX_TIMEOUT_MS, request } from './api.js';
import { plural, readWhole } from './format.js';
import { store } from './store.js';
import * as ui from './ui.js';
import { MAX_ACCESS_DAYS, reload, set, update, view } from './users-state.js';

/** @typedef {import('../types/api').components['schemas']['BulkRequest']} BulkRequest */
/** @typedef {BulkRequest['action']} BulkAction */
/** @typedef {{ identifier: string, ok: boolean, message: string }} Outcome */

export const MAX_SELECTED = 200;
const ACTIONS = /** @type {const} */ ([
  ['extend', 'Extend access'],
  ['tier', 'Change tier'],
  ['revoke', 'Revoke access'],
  ['adopt', 'Adopt (not managed)'],
]);

const bulk = {
  /** @type {BulkAction} */
  action: 'extend',
  running: false,
  /** @type {Outcome[]} */
  outcomes: [],
};

export function resetBulk() {
  Object.assign(bulk, { action: 'extend', running: false, outcomes: [] });
}

/** @param {string} identifier @param {boolean} on */
export function select(identifier, on) {
  if (on && view.selected.size < MAX_SELECTED) view.selected.add(identifier);
  else view.selected.delete(identifier);
  update();
}

/** Selects (or clears) everyone on the page shown. @param {boolean} on */
export function selectPage(on) {
  for (const user of view.users) {
    if (on && view.selected.size < MAX_SELECTED) view.selected.add(user.identifier);
    else if (!on) view.selected.delete(user.identifier);
  }
  update();
}

export function pageSelected() {
  return view.users.length > 0 && view.users.every((user) => view.selected.has(user.identifier));
}

/** @param {Event} event */
function chooseAction(event) {
  bulk.action = /** @type {BulkAction} */ (/** @type {HTMLSelectElement} */ (event.currentTarget).value);
  update();
}

export function bulkBar() {
  const count = view.selected.size;
  if (!count) return nothing;
  const needsTier = bulk.action === 'tier' || bulk.action === 'adopt';
  const needsDays = bulk.action === 'extend' || bulk.action === 'adopt';
  return html`<div id="bulk-bar" class="bulk-bar" role="group" aria-labelledby="bulk-count">
    <p id="bulk-count" class="bulk-count">${plural(count, 'person', 'people')} selected</p>
    <div class="action-group">
      <label class="visually-hidden" for="bulk-action">Change for the people selected</label>
      <select id="bulk-action" class="select-small" ?disabled=${bulk.running} @change=${chooseAction}>
        ${ACTIONS.map(([value, text]) => html`<option value=${value} ?selected=${bulk.action === value}>${text}</option>`)}
      </select>
    </div>
    ${
      needsTier
        ? html`<div class="action-group"><label class="visually-hidden" for="bulk-tier">Tier</label>
          <select id="bulk-tier" class="select-small" ?disabled=${bulk.running}>
            ${store.tiers.map((tier) => html`<option value=${tier.id}>${tier.name}</option>`)}
          </select></div>`
        : nothing
    }
    ${
      needsDays
        ? html`<div class="action-group">
          <label class="unit" for="bulk-days">${bulk.action === 'adopt' ? 'Ends in' : 'Add'}</label>
          <input id="bulk-days" class="input-small" type="number" min="1" max=${MAX_ACCESS_DAYS} step="1"
            inputmode="numeric" .value=${bulk.action === 'extend' ? '30' : ''} ?disabled=${bulk.running}>
          <span class="unit">days</span></div>`
        : nothing
    }
    <button id="bulk-apply" type="button" class="button button-small" ?disabled=${bulk.running} @click=${apply}>
      ${bulk.running ? 'Applying…' : 'Apply'}</button>
    <button id="bulk-clear" type="button" class="button button-secondary button-small" ?disabled=${bulk.running}
      @click=${() => set({ selected: new Set() })}>Clear selection</button>
  </div>`;
}

export function bulkSummary() {
  if (!bulk.outcomes.length) return nothing;
  const failed = bulk.outcomes.filter((outcome) => !outcome.ok).length;
  return html`<section id="bulk-summary" class="bulk-summary" aria-labelledby="bulk-summary-heading" tabindex="-1">
    <h3 id="bulk-summary-heading">What happened: ${bulk.outcomes.length - failed} done, ${failed} not done</h3>
    <ul class="bulk-results">
      ${bulk.outcomes.map(
        (outcome) => html`<li data-identifier=${outcome.identifier}>
          ${ui.badge(outcome.ok ? 'ok' : 'fail', outcome.ok ? 'Done' : 'Not done')}
          <span class="cell-who">${outcome.identifier}</span>
          ${outcome.message ? html`<span class="access-detail detail-muted">${outcome.message}</span>` : nothing}
        </li>`,
      )}
    </ul>
    <button type="button" class="button button-secondary button-small" @click=${() => {
      bulk.outcomes = [];
      update();
      ui.restoreFocus('users-heading');
    }}>Dismiss</button>
  </section>`;
}

/** @returns {BulkRequest | null} */
function requestBody() {
  const identifiers = [...view.selected];
  const body = /** @type {BulkRequest} */ ({ action: bulk.action, identifiers });
  const tier = /** @type {HTMLSelectElement | null} */ (document.getElementById('bulk-tier'));
  if (tier) body.tierId = tier.value;
  const input = /** @type {HTMLInputElement | null} */ (document.getElementById('bulk-days'));
  if (input && (input.value || bulk.action === 'extend')) {
    const days = readWhole(input.value, 1, MAX_ACCESS_DAYS);
    if (days === null) {
      set({ status: ui.status('Give a whole number of days from 1 to 3650.', 'error') });
      ui.setInvalid(input, true);
      input.focus();
      return null;
    }
    body.days = days;
  }
  return body;
}

async function apply() {
  const body = requestBody();
  if (!body) return;
  const people = plural(body.identifiers.length, 'person', 'people');
  const questions = {
    revoke: `Revoke access for ${people}?`,
    extend: `Extend access for ${people} by ${plural(body.days ?? 0, 'day', 'days')}? Access that doesn't end stays as it is.`,
    tier: `Change the tier of ${people}?`,
    adopt: `Adopt ${people}?`,
  };
  if (!ui.confirmed(questions[body.action])) return;
  bulk.running = true;
  set({ status: ui.status(`Changing ${plural(body.identifiers.length, 'person', 'people')}…`) });
  const answer = await request('POST', '/manage/users/bulk', { body, timeoutMs: PLEX_TIMEOUT_MS });
  if (dropped(answer)) return;
  bulk.running = false;
  if (!answer.ok || !Array.isArray(answer.body.results)) {
    set({ status: ui.status(`Nothing was changed. ${failureText(answer)}`, 'error') });
    return;
  }
  bulk.outcomes = answer.body.results.filter(isObject).map((item) => ({
    identifier: asText(item.identifier),
    ok: item.ok === true,
    message: item.ok === true ? '' : asText(item.message),
  }));
  const done = bulk.outcomes.filter((outcome) => outcome.ok).length;
  view.selected = new Set(bulk.outcomes.filter((outcome) => !outcome.ok).map((outcome) => outcome.identifier));
  view.status = ui.status(
    `Changed ${done} of ${plural(bulk.outcomes.length, 'person', 'people')}.`,
    done ? 'ok' : 'error',
  );
  await reload();
  ui.restoreFocus('bulk-summary');
}
