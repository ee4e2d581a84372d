// @ts-check
/* Invites: create an invite link (a code, a tier, a use limit, an expiry, how long access lasts, whether the guest
   must sign in with Plex), copy it, and the list of links with their uses and status. */
import { html, nothing, render } from '../vendor/lit-html.js';
import { asText, dropped, errorCode, failureText, getJson, request } from './api.js';
import {
  formatNumber,
  fullUrl,
  localInputValue,
  longDateTime,
  parseTime,
  plural,
  readWhole,
  toCount,
} from './format.js';
import { changed, DEFAULT_TIER_ID, store, subscribe, tierChoices } from './store.js';
import * as ui from './ui.js';

/** @typedef {import('../types/api').components['schemas']['InviteLinkRequest']} InviteLinkRequest */
/**
 * @typedef {{ code: string, url: string, tierName: string, maxUses: number, uses: number, expiresAt: string,
 *   accessDays: number, note: string, status: string, requiresSignIn: boolean }} Link
 */

// Mirrors the server's rule for a chosen code; the server checks again.
const CHOSEN_CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{5,63}$/;
const MAX_USES = 1000000;
const MAX_ACCESS_DAYS = 3650;
const LINK_STATUS = Object.freeze({
  active: { kind: 'ok', text: 'Active' },
  expired: { kind: 'unknown', text: 'Expired' },
  used_up: { kind: 'unknown', text: 'Used up' },
});
// Which input an API error is about: by the error's field, else by its code.
const FIELD_INPUTS = /** @type {Readonly<Record<string, string>>} */ ({
  code: 'link-code',
  tierId: 'link-tier',
  maxUses: 'link-max-uses',
  expiresAt: 'link-expires',
  accessDays: 'link-access-days',
  note: 'link-note',
  requiresSignIn: 'link-requires-sign-in',
  invalid_code: 'link-code',
  code_taken: 'link-code',
  expiry_in_past: 'link-expires',
  invalid_limits: 'link-max-uses',
  note_too_long: 'link-note',
  unknown_tier: 'link-tier',
});

const view = {
  /** @type {Link[]} */
  links: [],
  loaded: false,
  failed: false,
  creating: false,
  /** @type {string} the code being deleted */
  deleting: '',
  /** @type {Link | null} */
  created: null,
  status: ui.NO_STATUS,
};

/** @type {HTMLElement | null} */
let root = null;
/** @type {(quiet: boolean) => void} */
let reloadTiers = () => {};

/** @param {Record<string, unknown>} item @returns {Link} */
function readLink(item) {
  const code = asText(item.code);
  return {
    code,
    url: fullUrl(asText(item.url) || `/j/${encodeURIComponent(code)}`, window.location.origin),
    tierName: asText(item.tierName) || asText(item.tierId) || '–',
    maxUses: toCount(item.maxUses),
    uses: toCount(item.uses),
    expiresAt: asText(item.expiresAt),
    accessDays: toCount(item.accessDays),
    note: asText(item.note),
    status: asText(item.status),
    requiresSignIn: item.requiresSignIn === true,
  };
}

/** @param {Link} link */
function linkRow(link) {
  const expires = parseTime(link.expiresAt);
  const busy = view.deleting === link.code;
  return html`<tr role="row">
    <th scope="row" role="rowheader" class="cell-code">
      <span class="link-code">${link.code}</span><span class="link-url">${link.url}</span>
      <button type="button" class="link-button copy-link" data-copy=${link.url} aria-label="Copy link ${link.code}"
        @click=${copyLink}>Copy link</button>
    </th>
    ${ui.cell('Tier', link.tierName)}
    <td role="cell" class="cell-number" data-label="Uses" title=${link.maxUses ? nothing : 'No use limit'}>
      ${formatNumber(link.uses)} / ${link.maxUses ? formatNumber(link.maxUses) : '∞'}</td>
    ${ui.cell(
      'Expires',
      expires ? html`<time datetime=${link.expiresAt}>${longDateTime.format(expires)}</time>` : 'Never',
      'cell-expires',
    )}
    ${ui.cell('Access', link.accessDays ? plural(link.accessDays, 'day', 'days') : 'Permanent')}
    ${ui.cell('Sign-in', link.requiresSignIn ? 'Plex sign-in' : 'Any', 'cell-sign-in')}
    ${ui.cell('Note', link.note, 'cell-note cell-wide')}
    ${ui.cell('Status', ui.statusBadge(LINK_STATUS, link.status, link.status || 'Unknown'), 'cell-status')}
    <td role="cell" class="cell-actions">
      <button type="button" class="button button-secondary button-small button-danger" data-code=${link.code}
        aria-label="Delete invite link ${link.code}" ?disabled=${busy} @click=${deleteLink}>${busy ? 'Deleting…' : 'Delete'}</button>
    </td>
  </tr>`;
}

/** @param {string} id @param {unknown} label @param {unknown} control @param {string} [hint] */
function formField(id, label, control, hint = '') {
  return html`<div class="field"><label for=${id}>${label}</label>${control}${hint ? html`<p id="${id}-hint" class="hint">${hint}</p>` : nothing}</div>`;
}

const OPTIONAL = html` <span class="optional">(optional)</span>`;

function formTemplate() {
  return html`<form id="invite-link-form" class="access-form" method="post" novalidate @submit=${createLink}
    @input=${ui.clearInvalidOnInput}>
    <fieldset class="plain-fieldset" ?disabled=${view.creating}>
      <legend class="subheading">Create an invite link</legend>
      <div class="form-grid">
        ${formField(
          'link-code',
          html`Code${OPTIONAL}`,
          html`<input id="link-code" name="code" type="text" autocomplete="off" autocapitalize="characters"
            spellcheck="false" maxlength="64" aria-describedby="link-code-hint">`,
          'Leave empty for a random 12-character code',
        )}
        ${formField(
          'link-tier',
          'Tier',
          html`<select id="link-tier" name="tierId" aria-describedby="link-tier-hint">
            ${tierChoices().map((tier) => html`<option value=${tier.id}>${tier.name}</option>`)}</select>`,
          'Which libraries and permissions the guest gets.',
        )}
        ${formField(
          'link-max-uses',
          'Uses',
          html`<input id="link-max-uses" name="maxUses" type="number" min="0" max=${MAX_USES} step="1" value="1"
            inputmode="numeric" aria-describedby="link-max-uses-hint">`,
          '0 = unlimited',
        )}
        ${formField(
          'link-expires',
          html`Link expires${OPTIONAL}`,
          html`<input id="link-expires" name="expiresAt" type="datetime-local" min=${localInputValue(new Date())}
            aria-describedby="link-expires-hint">`,
          'Your local time. Leave empty to keep the link working.',
        )}
        ${formField(
          'link-access-days',
          'Access lasts (days)',
          html`<input id="link-access-days" name="accessDays" type="number" min="0" max=${MAX_ACCESS_DAYS} step="1"
            value="0" inputmode="numeric" aria-describedby="link-access-days-hint">`,
          "0 = access doesn't expire",
        )}
        ${formField(
          'link-note',
          html`Note${OPTIONAL}`,
          html`<input id="link-note" name="note" type="text" maxlength="500" autocomplete="off" aria-describedby="link-note-hint">`,
          'Only you see this, e.g. who the link is for.',
        )}
      </div>
      <div class="check-row">
        <label class="check-option" for="link-requires-sign-in">
          <input id="link-requires-sign-in" name="requiresSignIn" type="checkbox" aria-describedby="link-requires-sign-in-hint">
          <span>Requires Plex sign-in</span>
        </label>
        <p id="link-requires-sign-in-hint" class="hint">The guest must sign in with Plex; a typed username or email is refused.</p>
      </div>
      <div class="button-row">
        <button id="create-link-button" class="button button-inline" type="submit">${view.creating ? 'Creating…' : 'Create link'}</button>
      </div>
    </fieldset>
  </form>`;
}

function template() {
  const created = view.created;
  return html`<div class="panel-head">
      <h2 id="invite-links-heading" tabindex="-1">Invite links</h2>
      <p class="panel-intro">Each link gives one tier, with its own use limit and expiry.</p>
    </div>
    ${formTemplate()}
    ${ui.statusLine('invite-links-status', view.status)}
    <div id="invite-links-retry-row" class="button-row" ?hidden=${!view.failed}>
      <button id="invite-links-retry" class="button button-secondary button-inline" type="button" @click=${() => loadInviteLinks(false)}>Try again</button>
    </div>
    <div id="new-link" class="new-link" ?hidden=${!created}>
      <p id="new-link-label" class="new-link-label">New invite link. Send it to your guest:</p>
      <div class="copy-row">
        <span id="new-link-url" class="link-url-box">${created?.url ?? ''}</span>
        <button id="copy-new-link" class="button button-secondary button-inline" type="button"
          aria-describedby="new-link-label new-link-url" @click=${copyNewLink}>Copy link</button>
      </div>
    </div>
    <h3 id="invite-links-list-heading" class="subheading" tabindex="-1">Existing links</h3>
    <table id="invite-links-table" class="data-table card-table" role="table" aria-describedby="invite-links-list-heading">
      <caption class="visually-hidden">Invite links, newest first</caption>
      ${ui.tableHead(['Code', 'Tier', 'Uses', 'Expires', 'Access', 'Sign-in', 'Note', 'Status', ''])}
      <tbody role="rowgroup">${
        view.links.length
          ? view.links.map(linkRow)
          : ui.emptyRow(9, view.loaded ? 'No invite links yet. Create one above.' : 'Loading…')
      }</tbody>
    </table>`;
}

function update() {
  if (!root) return;
  render(template(), root);
  // The tier choice keeps what was picked when the list reloads (an option that went picks the default).
  const select = /** @type {HTMLSelectElement | null} */ (ui.byId('link-tier'));
  if (select && !select.value) select.value = DEFAULT_TIER_ID;
}

/** @param {Partial<typeof view>} changes */
function set(changes) {
  Object.assign(view, changes);
  update();
}

/** @param {string} message @param {string} [inputId] */
function formError(message, inputId = '') {
  set({ status: ui.status(message, 'error') });
  if (inputId) {
    ui.setInvalid(ui.byId(inputId), true);
    ui.focusId(inputId);
  } else {
    ui.restoreFocus('create-link-button');
  }
}

/** @param {HTMLFormElement} form @returns {{ payload: InviteLinkRequest } | { problem: string, input: string }} */
function buildPayload(form) {
  const value = (/** @type {string} */ name) => ui.field(form, name)?.value ?? '';
  const code = value('code').trim();
  if (code && !CHOSEN_CODE.test(code)) {
    return { problem: 'A chosen code has 6 to 64 letters, digits, hyphens or underscores.', input: 'link-code' };
  }
  const maxUses = readWhole(value('maxUses'), 0, MAX_USES);
  if (maxUses === null)
    return { problem: 'Uses must be a whole number of 0 or more (0 = unlimited).', input: 'link-max-uses' };
  const expiresInput = /** @type {HTMLInputElement} */ (ui.field(form, 'expiresAt'));
  let expiresAt = null;
  if (expiresInput.value || expiresInput.validity.badInput) {
    const expires = new Date(expiresInput.value);
    if (!expiresInput.value || Number.isNaN(expires.getTime())) {
      return { problem: 'Enter a complete date and time for the expiry, or leave it empty.', input: 'link-expires' };
    }
    if (expires.getTime() <= Date.now()) return { problem: 'The expiry must be in the future.', input: 'link-expires' };
    expiresAt = expires.toISOString();
  }
  const accessDays = readWhole(value('accessDays'), 0, MAX_ACCESS_DAYS);
  if (accessDays === null) {
    return {
      problem: "Access days must be a whole number from 0 to 3650 (0 = access doesn't expire).",
      input: 'link-access-days',
    };
  }
  /** @type {InviteLinkRequest} */
  const payload = {
    tierId: value('tierId') || DEFAULT_TIER_ID,
    maxUses,
    expiresAt,
    accessDays,
    note: value('note').trim(),
    requiresSignIn: /** @type {HTMLInputElement} */ (ui.field(form, 'requiresSignIn')).checked,
  };
  if (code) payload.code = code;
  return { payload };
}

/** @param {SubmitEvent} event */
async function createLink(event) {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.currentTarget);
  if (view.creating) return;
  for (const input of form.querySelectorAll('[aria-invalid]')) ui.setInvalid(input, false);
  const built = buildPayload(form);
  if ('problem' in built) {
    formError(built.problem, built.input);
    return;
  }
  set({ creating: true, status: ui.status('Creating the link…') });
  const answer = await request('POST', '/manage/invite-links', { body: built.payload });
  if (dropped(answer)) return;
  view.creating = false;
  const link = answer.ok && asText(answer.body.code) ? readLink(answer.body) : null;
  if (!link) {
    const code = errorCode(answer);
    formError(
      `Couldn't create the link. ${failureText(answer)}`,
      FIELD_INPUTS[answer.error?.field ?? ''] ?? FIELD_INPUTS[code],
    );
    if (code === 'unknown_tier') reloadTiers(true);
    return;
  }
  form.reset();
  set({ created: link, status: ui.status(`Created invite link ${link.code}.`, 'ok') });
  ui.focusId('copy-new-link');
  void loadInviteLinks(true);
}

/** @param {Event} event */
async function copyLink(event) {
  const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
  const copied = await ui.copyText(button.dataset.copy ?? '', button.parentElement?.querySelector('.link-url') ?? null);
  announceCopy(copied);
}

async function copyNewLink() {
  announceCopy(await ui.copyText(view.created?.url ?? '', ui.byId('new-link-url')));
}

/** @param {boolean} copied */
function announceCopy(copied) {
  set({
    status: copied
      ? ui.status('Link copied to the clipboard.', 'ok')
      : ui.status(
          "Copying didn't work here. The link is selected: copy it by hand (Ctrl+C or ⌘C, or long-press on a phone).",
        ),
  });
}

/** @param {Event} event */
async function deleteLink(event) {
  const code = /** @type {HTMLButtonElement} */ (event.currentTarget).dataset.code ?? '';
  if (
    !code ||
    view.deleting ||
    !ui.confirmed(`Delete the invite link ${code}? Anyone who has it can no longer use it.`)
  )
    return;
  set({ deleting: code, status: ui.status(`Deleting ${code}…`) });
  const answer = await request('DELETE', '/manage/invite-links/{code}', { params: { code } });
  if (dropped(answer)) return;
  view.deleting = '';
  if (!answer.ok) {
    set({ status: ui.status(`Couldn't delete the link. ${failureText(answer)}`, 'error') });
    return;
  }
  set({
    links: view.links.filter((link) => link.code !== code),
    created: view.created?.code === code ? null : view.created,
    status: ui.status(`Deleted invite link ${code}.`, 'ok'),
  });
  ui.focusId('invite-links-list-heading');
}

/** Loads the links (and whether guests need a code). quiet: keeps the status line as it is. @param {boolean} quiet */
export async function loadInviteLinks(quiet) {
  if (!quiet) set({ status: ui.NO_STATUS, failed: false });
  const answer = await getJson('/manage/invite-links', { key: 'invite-links' });
  if (dropped(answer)) return;
  const data = answer.data;
  if (!data) {
    set({ failed: true, status: ui.status(`Couldn't load the invite links. ${failureText(answer)}`, 'error') });
    return;
  }
  view.links = data.items.map(readLink);
  view.loaded = true;
  view.failed = false;
  store.codeRequired = { required: data.codeRequired, globalCodeSet: data.globalCodeSet };
  changed();
}

export function resetInvites() {
  Object.assign(view, {
    links: [],
    loaded: false,
    failed: false,
    creating: false,
    deleting: '',
    created: null,
    status: ui.NO_STATUS,
  });
  /** @type {HTMLFormElement | null} */ (ui.byId('invite-link-form'))?.reset();
  update();
}

/** @param {HTMLElement} container @param {(quiet: boolean) => void} loadTiers */
export function mountInvites(container, loadTiers) {
  root = container;
  reloadTiers = loadTiers;
  subscribe(update);
  update();
}
