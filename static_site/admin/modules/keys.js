// @ts-check
/* Settings → API keys: the keys with their scope, when each was made and last used; a form to create one (name and
   scope), whose answer shows the whole key this once with a Copy button; and Revoke, after a confirmation. Only a
   signed-in browser manages keys: the API refuses a key here. */
import { html, nothing, render } from '../vendor/lit-html.js';
import { dropped, failureText, getJson, request } from './api.js';
import { formatDateTime } from './format.js';
import * as ui from './ui.js';

/** @typedef {import('../types/api').components['schemas']['ApiKey']} ApiKey */

const SCOPE_TEXT = Object.freeze({ read: 'Read only', 'read-write': 'Read and change' });

const view = {
  /** @type {ApiKey[]} */
  keys: [],
  loaded: false,
  failed: false,
  busy: false,
  revoking: '',
  /** The key just made: shown this once, gone when the owner says it is saved or leaves. */
  created: { name: '', secret: '' },
  status: ui.NO_STATUS,
};

/** @type {HTMLElement | null} */
let root = null;

/** @param {string} scope */
function scopeLabel(scope) {
  return scope === 'read' || scope === 'read-write' ? SCOPE_TEXT[scope] : scope;
}

/** @param {ApiKey} key */
function keyRow(key) {
  return html`<tr role="row">
    ${ui.cell('Name', key.name)}
    ${ui.cell('Scope', scopeLabel(key.scope))}
    ${ui.cell('Created', formatDateTime(key.createdAt))}
    ${ui.cell('Last used', key.lastUsedAt ? formatDateTime(key.lastUsedAt) : 'Never')}
    ${ui.cell(
      '',
      html`<button class="button button-secondary button-danger button-inline" type="button"
        aria-label=${`Revoke ${key.name}`} ?disabled=${view.revoking !== ''} @click=${() => revoke(key)}>
        ${view.revoking === key.id ? 'Revoking…' : 'Revoke'}</button>`,
    )}
  </tr>`;
}

function createdTemplate() {
  if (!view.created.secret) return nothing;
  return html`<div id="api-key-created" class="recovery-box">
    <h3 id="api-key-created-heading" tabindex="-1">Copy the key “${view.created.name}” now</h3>
    <p>It is shown only this once. Send it in the <code>X-Api-Key</code> header.</p>
    <p><code id="api-key-secret" class="secret">${view.created.secret}</code></p>
    <div class="button-row">
      <button id="api-key-copy" class="button button-secondary button-inline" type="button" @click=${copyKey}>Copy key</button>
      <button id="api-key-done" class="button button-inline" type="button" @click=${done}>I've saved it</button>
    </div>
  </div>`;
}

function template() {
  return html`<h2 id="api-keys-heading" tabindex="-1">API keys</h2>
    <p class="panel-intro">For scripts: send a key in the <code>X-Api-Key</code> header. A key can't sign out, change
      two-step sign-in or manage keys.</p>
    <table id="api-keys-table" class="data-table card-table" role="table">
      <caption class="visually-hidden">API keys</caption>
      ${ui.tableHead(['Name', 'Scope', 'Created', 'Last used', ''])}
      <tbody role="rowgroup">${
        view.keys.length ? view.keys.map(keyRow) : ui.emptyRow(5, view.loaded ? 'No API keys yet.' : 'Loading…')
      }</tbody>
    </table>
    ${createdTemplate()}
    <form id="api-key-form" class="inline-form" method="post" novalidate @submit=${create}>
      <div class="field">
        <label for="api-key-name">Name</label>
        <input id="api-key-name" name="name" type="text" maxlength="60" autocomplete="off" spellcheck="false"
          @input=${ui.clearInvalidOnInput}>
      </div>
      <div class="field">
        <label for="api-key-scope">Scope</label>
        <select id="api-key-scope" name="scope">
          <option value="read">${SCOPE_TEXT.read}</option>
          <option value="read-write">${SCOPE_TEXT['read-write']}</option>
        </select>
      </div>
      <button id="api-key-create" class="button button-inline" type="submit" ?disabled=${view.busy}>
        ${view.busy ? 'Creating…' : 'Create key'}</button>
    </form>
    ${ui.statusLine('api-keys-status', view.status)}
    <div class="button-row" ?hidden=${!view.failed}>
      <button id="api-keys-retry" class="button button-secondary button-inline" type="button" @click=${loadKeys}>Try again</button>
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

export async function loadKeys() {
  const answer = await getJson('/manage/api-keys', { key: 'api-keys' });
  if (dropped(answer)) return;
  if (!answer.data) {
    set({ failed: true, status: ui.status(`Couldn't load the API keys: ${failureText(answer)}`, 'error') });
    return;
  }
  set({ keys: answer.data.items, loaded: true, failed: false });
}

/** @param {SubmitEvent} event */
async function create(event) {
  event.preventDefault();
  if (view.busy) return;
  const nameInput = /** @type {HTMLInputElement} */ (ui.byId('api-key-name'));
  const scope = /** @type {HTMLSelectElement} */ (ui.byId('api-key-scope')).value;
  const name = nameInput.value.trim();
  if (!name) {
    ui.setInvalid(nameInput, true);
    set({ status: ui.status('Name the key, e.g. the script that uses it.', 'error') });
    nameInput.focus();
    return;
  }
  set({ busy: true, status: ui.NO_STATUS });
  const answer = await request('POST', '/manage/api-keys', {
    body: { name, scope: scope === 'read' ? 'read' : 'read-write' },
  });
  if (dropped(answer)) return;
  const secret = answer.ok && typeof answer.body.secret === 'string' ? answer.body.secret : '';
  if (!secret) {
    if (answer.error?.field === 'name') ui.setInvalid(nameInput, true);
    set({ busy: false, status: ui.status(failureText(answer), 'error') });
    nameInput.focus();
    return;
  }
  nameInput.value = '';
  set({ busy: false, created: { name, secret } });
  ui.focusId('api-key-created-heading');
  void loadKeys();
}

async function copyKey() {
  const copied = await ui.copyText(view.created.secret, document.getElementById('api-key-secret'));
  set({
    status: copied
      ? ui.status('Copied to the clipboard.', 'ok')
      : ui.status("Copying didn't work here. Select the key and copy it by hand.", 'error'),
  });
}

function done() {
  set({ created: { name: '', secret: '' }, status: ui.NO_STATUS });
  ui.focusId('api-keys-heading');
}

/** @param {ApiKey} key */
async function revoke(key) {
  if (!ui.confirmed(`Revoke the key “${key.name}”? Scripts using it stop working at once.`)) return;
  set({ revoking: key.id, status: ui.NO_STATUS });
  const answer = await request('DELETE', '/manage/api-keys/{id}', { params: { id: key.id } });
  if (dropped(answer)) return;
  if (!answer.ok) {
    set({ revoking: '', status: ui.status(failureText(answer), 'error') });
    return;
  }
  set({
    revoking: '',
    keys: view.keys.filter((each) => each.id !== key.id),
    status: ui.status(`Revoked “${key.name}”.`, 'ok'),
  });
  ui.focusId('api-keys-heading');
}

/** @param {HTMLElement} element */
export function mountKeys(element) {
  root = element;
  update();
}

export function resetKeys() {
  Object.assign(view, {
    keys: [],
    loaded: false,
    failed: false,
    busy: false,
    revoking: '',
    created: { name: '', secret: '' },
  });
  view.status = ui.NO_STATUS;
  update();
}
