// @ts-check
/* Tiers: each is a set of libraries plus sharing permissions, and what a guest who signs in with Plex gets turned
   on (watch-state sync) or off (Plex's online media). The list, and one form to create or edit a tier. */
import { html, nothing, render } from '../vendor/lit-html.js';
import { asText, dropped, errorCode, failureText, getJson, request } from './api.js';
import { changed, libraryTitle, readTier, sharedTitles, store, subscribe } from './store.js';
import * as ui from './ui.js';

/** @typedef {import('./store.js').Tier} Tier */
/** @typedef {import('../types/api').components['schemas']['TierRequest']} TierRequest */
/** @typedef {'allowSync' | 'allowCameraUpload' | 'allowChannels' | 'syncWatchState' | 'optOutOnlineMedia'} Flag */

/** @type {readonly { key: Flag, label: string, id: string }[]} */
const PERMISSIONS = [
  { key: 'allowSync', label: 'Downloads', id: 'tier-allow-sync' },
  { key: 'allowCameraUpload', label: 'Camera upload', id: 'tier-allow-camera' },
  { key: 'allowChannels', label: 'Channels', id: 'tier-allow-channels' },
];
/** @type {readonly { key: Flag, label: string, id: string }[]} */
const SIGN_IN_OPTIONS = [
  { key: 'syncWatchState', label: 'Sync watch state', id: 'tier-sync-watch-state' },
  { key: 'optOutOnlineMedia', label: 'Hide Plex online media', id: 'tier-opt-out-online-media' },
];
const NO_LIBRARIES = 'No libraries to choose from yet. Use “Refresh from Plex” under Shared libraries.';

const view = {
  /** @type {Tier | null} */
  editing: null,
  saving: false,
  deleting: '',
  failed: false,
  status: ui.NO_STATUS,
};

/** @type {HTMLElement | null} */
let root = null;
/** @type {(quiet: boolean) => void} */
let reloadInviteLinks = () => {};

/** @param {string[]} titles */
function pills(titles) {
  return html`<ul class="library-list compact-list">${titles.map((title) => html`<li>${title}</li>`)}</ul>`;
}

/** @param {Tier} tier */
function librariesCell(tier) {
  const libraries = store.libraries;
  if (tier.isDefault) {
    const known = Boolean(libraries?.items.length);
    return html`<p class="cell-note-text">This tier shares what Settings → Shared libraries chooses${known ? ':' : '.'}</p>
      ${known && libraries ? pills(sharedTitles(libraries)) : nothing}`;
  }
  return tier.sectionIds.length
    ? pills(tier.sectionIds.map(libraryTitle))
    : html`<span class="detail-muted">No libraries</span>`;
}

/** @param {Tier} tier */
function tierRow(tier) {
  const allowed = [...PERMISSIONS, ...SIGN_IN_OPTIONS].filter((flag) => tier[flag.key]);
  const busy = view.deleting === tier.id;
  return html`<tr role="row" data-tier-id=${tier.id}>
    <th scope="row" role="rowheader" class="cell-name">${tier.name}</th>
    ${ui.cell('Libraries', librariesCell(tier), 'cell-wide')}
    ${ui.cell(
      'Permissions',
      allowed.length
        ? html`<ul class="badge-list">${allowed.map((flag) => html`<li>${ui.badge('neutral', flag.label)}</li>`)}</ul>`
        : html`<span class="detail-muted">None</span>`,
      'cell-wide',
    )}
    <td role="cell" class="cell-actions cell-wide">${
      tier.isDefault
        ? nothing
        : html`<div class="row-actions no-wrap">
          <button type="button" class="button button-secondary button-small" data-tier-action="edit" data-tier-id=${tier.id}
            aria-label="Edit tier ${tier.name}" @click=${() => editTier(tier)}>Edit</button>
          <button type="button" class="button button-secondary button-small button-danger" data-tier-action="delete"
            data-tier-id=${tier.id} aria-label="Delete tier ${tier.name}" ?disabled=${busy}
            @click=${() => deleteTier(tier)}>${busy ? 'Deleting…' : 'Delete'}</button>
        </div>`
    }</td>
  </tr>`;
}

/** @param {string} legend @param {readonly { key: Flag, label: string, id: string }[]} flags @param {string} [hint] */
function flagFieldset(legend, flags, hint = '') {
  return html`<fieldset class="library-fieldset permission-fieldset">
    <legend>${legend}</legend>
    ${hint ? html`<p class="hint">${hint}</p>` : nothing}
    <ul class="library-options permission-options">${flags.map(
      (flag) => html`<li><label for=${flag.id}><input id=${flag.id} name=${flag.key} type="checkbox">
        <span class="library-title">${flag.label}</span></label></li>`,
    )}</ul>
  </fieldset>`;
}

function formTemplate() {
  const items = store.libraries?.items ?? [];
  const editing = view.editing;
  return html`<form id="tier-form" class="tier-form" method="post" novalidate @submit=${saveTier}
    @input=${ui.clearInvalidOnInput} @change=${() => view.status.kind === 'error' && set({ status: ui.NO_STATUS })}>
    <h3 id="tier-form-heading" class="subheading" tabindex="-1">${editing ? `Edit tier “${editing.name}”` : 'New tier'}</h3>
    <fieldset class="plain-fieldset" ?disabled=${view.saving}>
      <legend class="visually-hidden">${editing ? `Edit tier “${editing.name}”` : 'New tier'}</legend>
      <div class="field">
        <label for="tier-name">Name</label>
        <input id="tier-name" name="name" type="text" maxlength="60" autocomplete="off">
      </div>
      <fieldset class="library-fieldset" aria-describedby="tier-libraries-note">
        <legend>Libraries</legend>
        <ul id="tier-library-options" class="library-options">${items.map((library) => ui.libraryOption(library, 'tier-library', false))}</ul>
        <p id="tier-libraries-note" class="small-note">${store.libraries && !items.length ? NO_LIBRARIES : ''}</p>
      </fieldset>
      ${flagFieldset('Permissions', PERMISSIONS)}
      ${flagFieldset('Guests who sign in with Plex', SIGN_IN_OPTIONS, 'Applied to their Plex account when they join.')}
      <div class="button-row">
        <button id="save-tier-button" class="button button-inline" type="submit">
          ${view.saving ? 'Saving…' : editing ? 'Save tier' : 'Create tier'}</button>
        <button id="cancel-tier-edit" class="button button-secondary button-inline" type="button" ?hidden=${!editing}
          @click=${cancelEdit}>Cancel editing</button>
      </div>
    </fieldset>
  </form>`;
}

function template() {
  return html`<div class="panel-head">
      <h2 id="tiers-heading" tabindex="-1">Tiers</h2>
      <p class="panel-intro">A tier is a set of libraries plus sharing permissions.</p>
    </div>
    <div class="tier-layout">
      <table id="tiers-table" class="data-table card-table" role="table">
        <caption class="visually-hidden">Access tiers</caption>
        ${ui.tableHead(['Name', 'Libraries', 'Permissions', ''])}
        <tbody role="rowgroup">${store.tiers.length ? store.tiers.map(tierRow) : ui.emptyRow(4, store.tiersLoaded ? 'No tiers yet.' : 'Loading…')}</tbody>
      </table>
      ${formTemplate()}
    </div>
    ${ui.statusLine('tiers-status', view.status)}
    <div id="tiers-retry-row" class="button-row" ?hidden=${!view.failed}>
      <button id="tiers-retry" class="button button-secondary button-inline" type="button" @click=${() => loadTiers(false)}>Try again</button>
    </div>`;
}

function update() {
  if (root) render(template(), root);
}

/** @param {Partial<typeof view>} changes */
function set(changes) {
  Object.assign(view, changes);
  update();
}

function form() {
  return /** @type {HTMLFormElement} */ (ui.byId('tier-form'));
}

/** Empties the form, or fills it with a tier to edit. @param {Tier | null} tier */
function fillForm(tier) {
  const tierForm = form();
  tierForm.reset();
  ui.setInvalid(ui.byId('tier-name'), false);
  set({ editing: tier });
  if (!tier) return;
  /** @type {HTMLInputElement} */ (ui.field(tierForm, 'name')).value = tier.name;
  const wanted = new Set(tier.sectionIds.map(String));
  for (const box of tierForm.querySelectorAll('input[name="tier-library"]')) {
    /** @type {HTMLInputElement} */ (box).checked = wanted.has(/** @type {HTMLInputElement} */ (box).value);
  }
  for (const flag of [...PERMISSIONS, ...SIGN_IN_OPTIONS]) {
    /** @type {HTMLInputElement} */ (ui.field(tierForm, flag.key)).checked = tier[flag.key];
  }
}

/** @param {Tier} tier */
function editTier(tier) {
  fillForm(tier);
  set({ status: ui.NO_STATUS });
  ui.focusId('tier-name');
}

function cancelEdit() {
  const id = view.editing?.id ?? '';
  fillForm(null);
  set({ status: ui.NO_STATUS });
  focusTierButton(id, 'edit', 'tier-name');
}

/** @param {string} tierId @param {'edit' | 'delete'} action @param {string} fallbackId */
function focusTierButton(tierId, action, fallbackId) {
  const button = /** @type {HTMLElement | null} */ (
    root?.querySelector(`button[data-tier-action="${action}"][data-tier-id="${CSS.escape(tierId)}"]`)
  );
  if (button) button.focus();
  else ui.focusId(fallbackId);
}

/** @param {string} message @param {Element | null} [input] */
function tierError(message, input = null) {
  set({ saving: false, status: ui.status(message, 'error') });
  if (input instanceof HTMLElement) {
    if (input.id === 'tier-name') ui.setInvalid(input, true);
    input.focus();
  } else {
    ui.restoreFocus('save-tier-button');
  }
}

/** @param {SubmitEvent} event */
async function saveTier(event) {
  event.preventDefault();
  if (view.saving) return;
  const tierForm = form();
  const nameInput = ui.byId('tier-name');
  ui.setInvalid(nameInput, false);
  const name = (ui.field(tierForm, 'name')?.value ?? '').replace(/\s+/g, ' ').trim();
  if (!name) return tierError('Give the tier a name.', nameInput);
  const wanted = ui.checkedValues(tierForm, 'tier-library');
  const items = store.libraries?.items ?? [];
  const sectionIds = items.filter((library) => wanted.has(String(library.id))).map((library) => Number(library.id));
  const firstLibrary = tierForm.querySelector('input[name="tier-library"]');
  if (!sectionIds.length)
    return tierError(items.length ? 'Tick at least one library for this tier.' : NO_LIBRARIES, firstLibrary);
  /** @type {TierRequest} */
  const payload = { name, sectionIds };
  for (const flag of [...PERMISSIONS, ...SIGN_IN_OPTIONS]) {
    payload[flag.key] = /** @type {HTMLInputElement} */ (ui.field(tierForm, flag.key)).checked;
  }
  const editingId = view.editing?.id ?? '';
  set({ saving: true, status: ui.status('Saving the tier…') });
  const answer = editingId
    ? await request('PUT', '/manage/tiers/{tierId}', { params: { tierId: editingId }, body: payload })
    : await request('POST', '/manage/tiers', { body: payload });
  if (dropped(answer)) return;
  const saved = answer.ok && asText(answer.body.id) ? readTier(answer.body) : null;
  if (!saved) {
    const code = errorCode(answer);
    const message = `Couldn't save the tier. ${failureText(answer)}`;
    if (code === 'invalid_tier_name') return tierError(message, ui.byId('tier-name'));
    if (code === 'no_libraries_selected' || code === 'unknown_library') return tierError(message, firstLibrary);
    if (code === 'unknown_tier') {
      fillForm(null);
      tierError(message, ui.byId('tier-name'));
      return loadTiers(true);
    }
    return tierError(message);
  }
  view.saving = false;
  fillForm(null);
  set({ status: ui.status(`${editingId ? 'Saved' : 'Created'} the tier “${saved.name}”.`, 'ok') });
  await loadTiers(true);
  if (editingId) {
    focusTierButton(saved.id, 'edit', 'tiers-heading');
    reloadInviteLinks(true); // invite links show tier names
  } else {
    ui.restoreFocus('save-tier-button');
  }
}

/** @param {Tier} tier */
async function deleteTier(tier) {
  if (view.deleting || !ui.confirmed(`Delete the tier “${tier.name}”? This can't be undone.`)) return;
  set({ deleting: tier.id, status: ui.status('Deleting the tier…') });
  const answer = await request('DELETE', '/manage/tiers/{tierId}', { params: { tierId: tier.id } });
  if (dropped(answer)) return;
  view.deleting = '';
  if (!answer.ok) {
    set({ status: ui.status(`Couldn't delete the tier. ${failureText(answer)}`, 'error') });
    return;
  }
  if (view.editing?.id === tier.id) fillForm(null);
  store.tiers = store.tiers.filter((entry) => entry.id !== tier.id);
  view.status = ui.status(`Deleted the tier “${tier.name}”.`, 'ok');
  changed();
  ui.focusId('tiers-heading');
  void loadTiers(true);
  reloadInviteLinks(true);
}

/** Loads the tiers, which the invite form and the users' "change tier" also offer. @param {boolean} quiet */
export async function loadTiers(quiet) {
  if (!quiet) set({ status: ui.NO_STATUS, failed: false });
  const answer = await getJson('/manage/tiers', { key: 'tiers' });
  if (dropped(answer)) return;
  if (!answer.data) {
    set({ failed: true, status: ui.status(`Couldn't load the tiers. ${failureText(answer)}`, 'error') });
    return;
  }
  store.tiers = answer.data.items.map(readTier);
  store.tiersLoaded = true;
  view.failed = false;
  changed();
}

export function resetTiers() {
  Object.assign(view, { editing: null, saving: false, deleting: '', failed: false, status: ui.NO_STATUS });
  form()?.reset();
  update();
}

/** @param {HTMLElement} container @param {(quiet: boolean) => void} loadInviteLinks */
export function mountTiers(container, loadInviteLinks) {
  root = container;
  reloadInviteLinks = loadInviteLinks;
  subscribe(update);
  update();
}
