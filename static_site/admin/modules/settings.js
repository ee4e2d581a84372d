// @ts-check
/* Settings: the libraries new invites share, whether guests need an invite code, how guests sign in (with Plex,
   typed, or either), the guest pages' branding (branding.js), and signing out everywhere. Two-step sign-in and the Start watching page have their own
   modules (totp.js, onboarding.js) rendered beside these panels. */
import { html, render } from '../vendor/lit-html.js';
import { asText, cleanMessage, dropped, failureText, isObject, PLEX_TIMEOUT_MS, request } from './api.js';
import { afterBrandingRender, brandingPanel, loadBranding, mountBranding, resetBranding } from './branding.js';
import { formatDateTime, plural } from './format.js';
import { changed, readLibraries, sharedTitles, store, subscribe } from './store.js';
import { checkedValues, confirmed, libraryOption, NO_STATUS, restoreFocus, status, statusLine } from './ui.js';

/** @typedef {import('./ui.js').Status} Status */
/** @typedef {'plex' | 'plex_or_typed' | 'typed'} SignInMode */

const SIGN_IN_MODES = /** @type {const} */ ([
  ['plex_or_typed', 'Sign in with Plex, or type a username or email', 'The default: guests pick.'],
  ['plex', 'Sign in with Plex only', 'The invite is accepted for the guest; nobody can ask for someone else.'],
  ['typed', 'Typed username or email only', 'No Plex sign-in button on the guest page.'],
]);

const view = {
  /** @type {'' | 'save' | 'refresh'} */
  librariesBusy: '',
  librariesStatus: NO_STATUS,
  codeBusy: false,
  codeStatus: NO_STATUS,
  /** @type {SignInMode | ''} */
  signInMode: '',
  modeBusy: false,
  modeStatus: NO_STATUS,
  signingOut: false,
};

/** @type {HTMLElement | null} */
let root = null;
/** @type {(quiet: boolean) => void} */
let reloadDashboard = () => {};
/** @type {() => void} */
let signedOutEverywhere = () => {};
/** @type {(message: string) => void} */
let showError = () => {};

function librariesNote() {
  const data = store.libraries;
  if (!data) return NO_STATUS;
  if (!data.items.length) {
    const plexError = cleanMessage(store.plex.lastError);
    return plexError
      ? status(`The library list couldn't be loaded from Plex. ${plexError}`, 'error')
      : status('Plex reported no libraries on this server.');
  }
  return data.sharesAll ? status('No selection saved yet: invites share every library.') : NO_STATUS;
}

function librariesPanel() {
  const data = store.libraries;
  const busy = view.librariesBusy !== '';
  const fetched = formatDateTime(data?.fetchedAt);
  return html`<section class="panel" aria-labelledby="libraries-heading">
    <h2 id="libraries-heading">Shared libraries</h2>
    <form id="libraries-form" method="post" novalidate @submit=${saveLibraries} @change=${clearLibrariesError}>
      <fieldset class="library-fieldset" aria-describedby="libraries-note" ?disabled=${busy}>
        <legend>New invites share the libraries you tick here.</legend>
        <ul id="library-options" class="library-options">
          ${(data?.items ?? []).map((library) => libraryOption(library, 'library', data?.sharesAll || library.selected))}
        </ul>
      </fieldset>
      ${statusLine('libraries-note', librariesNote(), 'small-note')}
      <p id="libraries-fetched" class="small-note">${fetched ? `List fetched from Plex ${fetched}.` : ''}</p>
      <div class="button-row">
        <button id="save-libraries" class="button button-inline" type="submit"
          ?disabled=${busy || !data?.items.length} aria-busy=${view.librariesBusy === 'save' ? 'true' : 'false'}>
          ${view.librariesBusy === 'save' ? 'Saving…' : 'Save libraries'}</button>
        <button id="refresh-libraries" class="button button-secondary button-inline" type="button" ?disabled=${busy}
          aria-busy=${view.librariesBusy === 'refresh' ? 'true' : 'false'} @click=${refreshLibraries}>
          ${view.librariesBusy === 'refresh' ? 'Refreshing…' : 'Refresh from Plex'}</button>
      </div>
      ${statusLine('libraries-status', view.librariesStatus)}
    </form>
  </section>`;
}

function codesPanel() {
  const info = store.codeRequired;
  const note = !info
    ? ''
    : info.globalCodeSet
      ? 'Always on: INVITE_CODE is set'
      : 'When on, the guest page asks for the code from one of your invite links.';
  return html`<section id="codes-panel" class="panel" aria-labelledby="codes-heading">
    <h2 id="codes-heading">Invite codes</h2>
    <div class="check-row">
      <label class="check-option" for="code-required">
        <input id="code-required" type="checkbox" aria-describedby="code-required-note"
          .checked=${Boolean(info && (info.required || info.globalCodeSet))}
          ?disabled=${!info || info.globalCodeSet || view.codeBusy} @change=${changeCodeRequired}>
        <span>Guests need an invite code</span>
      </label>
      <p id="code-required-note" class="hint">${note}</p>
    </div>
    ${statusLine('codes-status', view.codeStatus)}
  </section>`;
}

function signInPanel() {
  return html`<section id="sign-in-panel" class="panel" aria-labelledby="sign-in-heading">
    <h2 id="sign-in-heading">Guest sign-in</h2>
    <fieldset class="plain-fieldset" ?disabled=${!view.signInMode || view.modeBusy}>
      <legend class="panel-intro">How guests say who they are on the invite page.</legend>
      <ul class="choice-list">
        ${SIGN_IN_MODES.map(
          ([mode, label, hint]) => html`<li><label class="check-option">
            <input type="radio" name="sign-in-mode" value=${mode} .checked=${view.signInMode === mode}
              aria-describedby="sign-in-mode-${mode}-hint" @change=${changeSignInMode}>
            <span>${label}</span></label>
            <p id="sign-in-mode-${mode}-hint" class="hint">${hint}</p></li>`,
        )}
      </ul>
    </fieldset>
    ${statusLine('sign-in-mode-status', view.modeStatus)}
  </section>`;
}

function sessionsPanel() {
  return html`<section id="sessions-panel" class="panel" aria-labelledby="sessions-heading">
    <h2 id="sessions-heading">Sessions</h2>
    <p class="panel-intro">Lost a laptop, or think a session was copied? End every session on every browser, this one included.</p>
    <button id="logout-everywhere-button" class="button button-secondary button-inline" type="button"
      ?disabled=${view.signingOut} @click=${signOutEverywhere}>${view.signingOut ? 'Signing out…' : 'Sign out everywhere'}</button>
  </section>`;
}

function update() {
  if (!root) return;
  render(html`${librariesPanel()}${codesPanel()}${signInPanel()}${brandingPanel()}${sessionsPanel()}`, root);
  afterBrandingRender();
}

/** @param {Partial<typeof view>} changes */
function set(changes) {
  Object.assign(view, changes);
  update();
}

function clearLibrariesError() {
  if (view.librariesStatus.kind === 'error') set({ librariesStatus: NO_STATUS });
}

/** Shows the list a save or refresh answered with; false (after saying why) if there's none. @param {import('./api.js').Result} answer @param {string} failure */
function applyLibraries(answer, failure) {
  const libraries = answer.ok && isObject(answer.body.libraries) ? answer.body.libraries : null;
  if (!libraries) {
    set({ librariesBusy: '', librariesStatus: status(`${failure}${failureText(answer)}`, 'error') });
    return false;
  }
  store.libraries = readLibraries(libraries);
  view.librariesBusy = '';
  changed();
  return true;
}

/** @param {SubmitEvent} event */
async function saveLibraries(event) {
  event.preventDefault();
  const data = store.libraries;
  if (!data || view.librariesBusy) return;
  const wanted = checkedValues(/** @type {HTMLElement} */ (event.currentTarget), 'library');
  const chosen = data.items.filter((library) => wanted.has(String(library.id)));
  if (!chosen.length) {
    set({ librariesStatus: status('Tick at least one library: new invites need something to share.', 'error') });
    /** @type {HTMLInputElement | null} */ (document.querySelector('#library-options input'))?.focus();
    return;
  }
  set({ librariesBusy: 'save', librariesStatus: status('Saving…') });
  const sectionIds = chosen.map((library) => Number(library.id));
  const answer = await request('PUT', '/manage/libraries', { body: { sectionIds } });
  if (dropped(answer)) return;
  if (!applyLibraries(answer, "Couldn't save. ")) return;
  const titles = store.libraries ? sharedTitles(store.libraries) : [];
  set({ librariesStatus: status(`Saved. New invites share: ${titles.join(', ') || 'no libraries'}.`, 'ok') });
  restoreFocus('save-libraries');
}

async function refreshLibraries() {
  set({ librariesBusy: 'refresh', librariesStatus: status('Asking Plex for the library list…') });
  const answer = await request('POST', '/manage/libraries/refresh', { timeoutMs: PLEX_TIMEOUT_MS });
  if (dropped(answer)) return;
  const ok = applyLibraries(answer, "Couldn't refresh the list. ");
  // Either way the Plex card should say what just happened (and a stale broken-token banner may go).
  if (!ok || store.plex.tokenValid === false) reloadDashboard(true);
  if (ok) {
    const count = store.libraries?.items.length ?? 0;
    set({
      librariesStatus: status(`Library list refreshed from Plex: ${plural(count, 'library', 'libraries')}.`, 'ok'),
    });
  }
  restoreFocus('refresh-libraries');
}

/** @param {Event} event */
async function changeCodeRequired(event) {
  const box = /** @type {HTMLInputElement} */ (event.currentTarget);
  const info = store.codeRequired;
  if (!info || info.globalCodeSet) return;
  set({ codeBusy: true, codeStatus: status('Saving…') });
  const answer = await request('PUT', '/manage/code-required', { body: { required: box.checked } });
  if (dropped(answer)) return;
  view.codeBusy = false;
  if (!answer.ok || typeof answer.body.codeRequired !== 'boolean') {
    box.checked = info.required;
    set({ codeStatus: status(`Couldn't change the invite code setting. ${failureText(answer)}`, 'error') });
  } else {
    info.required = answer.body.codeRequired;
    view.codeStatus = status(
      info.required ? 'Saved. Guests now need an invite code.' : 'Saved. Guests no longer need an invite code.',
      'ok',
    );
    changed();
  }
  restoreFocus('code-required');
}

/** @param {Event} event */
async function changeSignInMode(event) {
  const mode = /** @type {SignInMode} */ (/** @type {HTMLInputElement} */ (event.currentTarget).value);
  const before = view.signInMode;
  set({ signInMode: mode, modeBusy: true, modeStatus: status('Saving…') });
  const answer = await request('PUT', '/manage/sign-in-mode', { body: { mode } });
  if (dropped(answer)) return;
  const saved = asText(answer.body.mode);
  if (!answer.ok || !SIGN_IN_MODES.some(([known]) => known === saved)) {
    set({
      signInMode: before,
      modeBusy: false,
      modeStatus: status(`Couldn't change how guests sign in. ${failureText(answer)}`, 'error'),
    });
  } else {
    const label = SIGN_IN_MODES.find(([known]) => known === saved)?.[1] ?? saved;
    set({
      signInMode: /** @type {SignInMode} */ (saved),
      modeBusy: false,
      modeStatus: status(`Saved: ${label}.`, 'ok'),
    });
  }
  /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="sign-in-mode"]:checked'))?.focus();
}

async function loadSignInMode() {
  const answer = await request('GET', '/manage/sign-in-mode', { key: 'sign-in-mode' });
  if (dropped(answer)) return;
  const mode = asText(answer.body.mode);
  if (answer.ok && SIGN_IN_MODES.some(([known]) => known === mode))
    set({ signInMode: /** @type {SignInMode} */ (mode) });
  else set({ modeStatus: status(`Couldn't load how guests sign in. ${failureText(answer)}`, 'error') });
}

// Ends every session on every browser: for a lost laptop or a session that may have been copied.
async function signOutEverywhere() {
  if (!confirmed('Sign out on every browser and device, this one included?')) return;
  set({ signingOut: true });
  const answer = await request('POST', '/manage/sign-out-everywhere');
  set({ signingOut: false });
  if (answer.ok || answer.status === 401 || answer.sessionEnded) {
    signedOutEverywhere();
    return;
  }
  if (!answer.aborted) showError(`Couldn't sign out everywhere: ${failureText(answer)}`);
}

export function loadSettings() {
  void loadSignInMode();
  void loadBranding();
}

export function resetSettings() {
  Object.assign(view, {
    librariesBusy: '',
    librariesStatus: NO_STATUS,
    codeBusy: false,
    codeStatus: NO_STATUS,
    signInMode: '',
    modeBusy: false,
    modeStatus: NO_STATUS,
    signingOut: false,
  });
  resetBranding();
  update();
}

/**
 * @param {HTMLElement} container
 * @param {{ reloadDashboard: (quiet: boolean) => void, signedOutEverywhere: () => void, showError: (message: string) => void }} hooks
 */
export function mountSettings(container, hooks) {
  root = container;
  ({ reloadDashboard, signedOutEverywhere, showError } = hooks);
  mountBranding(update);
  subscribe(update);
  update();
}
