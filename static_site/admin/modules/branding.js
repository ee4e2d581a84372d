// @ts-check
/* Settings → Branding: the guest pages' display name, accent colour, welcome line and logo, with a small live
   preview of the guest page's button. The server refuses an accent with too little contrast (it says so on the
   field); the preview shows the same ratios as they are typed. The preview's colours are set through CSSOM (the
   CSP's style-src 'self' refuses style attributes, not style properties set from a script). */
import { html, nothing } from '../vendor/lit-html.js';
import { asText, dropped, failureText, isObject, request } from './api.js';
import { clearInvalidOnInput, field, NO_STATUS, setInvalid, status, statusLine } from './ui.js';

/** @typedef {import('./api.js').Result} Result */

const HEX = /^#[0-9a-fA-F]{6}$/;
const WHITE = '#ffffff';
const DEFAULT_ACCENT = '#e5a00d';
const DEFAULT_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
const FIELDS = /** @type {const} */ ({
  serverName: 'branding-name',
  accent: 'branding-accent',
  welcome: 'branding-welcome',
});

const view = {
  loaded: false,
  serverName: '',
  accent: '',
  welcome: '',
  logoUrl: '',
  minContrast: 4.5,
  page: '#f3f4f6',
  maxLogoBytes: 200 * 1024,
  /** @type {string[]} */
  logoTypes: DEFAULT_TYPES,
  /** @type {'' | 'save' | 'logo'} */
  busy: '',
  status: NO_STATUS,
  logoStatus: NO_STATUS,
};

/** What the form holds now (the preview follows it before a save). */
const draft = { serverName: '', accent: '', welcome: '' };

/** @type {() => void} */
let rerender = () => {};

/** WCAG 2.x relative luminance of #rrggbb. @param {string} colour */
function luminance(colour) {
  const linear = [1, 3, 5].map((at) => {
    const c = Number.parseInt(colour.slice(at, at + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
}

/** @param {string} first @param {string} second */
export function contrastRatio(first, second) {
  const [a, b] = [luminance(first), luminance(second)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}

function contrastNote() {
  const accent = draft.accent.trim();
  if (!accent) return 'Empty keeps the default look.';
  if (!HEX.test(accent)) return 'A colour like #1d5fd0.';
  const onButton = contrastRatio(accent, WHITE);
  const onPage = contrastRatio(accent, view.page);
  const enough = Math.min(onButton, onPage) >= view.minContrast;
  return `${onButton.toFixed(2)}:1 against white button text, ${onPage.toFixed(2)}:1 against the page; at least ${view.minContrast}:1 is needed${enough ? '.' : ', so the server will refuse it.'}`;
}

/** Colours the preview's button (CSSOM, after the template is rendered). */
function paintPreview() {
  const button = document.getElementById('branding-preview-button');
  if (!button) return;
  const accent = HEX.test(draft.accent.trim()) ? draft.accent.trim() : DEFAULT_ACCENT;
  const custom = accent !== DEFAULT_ACCENT;
  button.style.setProperty('background', accent);
  button.style.setProperty('border-color', accent);
  button.style.setProperty('color', custom ? WHITE : '#1f1a10');
}

function preview() {
  const name = draft.serverName.trim() || 'your Plex server';
  return html`<figure id="branding-preview" class="branding-preview" aria-labelledby="branding-preview-caption">
    <figcaption id="branding-preview-caption" class="small-note">Preview of the guest page</figcaption>
    ${view.logoUrl ? html`<img id="branding-preview-logo" src=${view.logoUrl} alt="" width="48" height="48">` : nothing}
    <p><strong>Join ${name}</strong></p>
    ${draft.welcome.trim() ? html`<p id="branding-preview-welcome">${draft.welcome.trim()}</p>` : nothing}
    <span id="branding-preview-button" class="button button-inline" aria-hidden="true">Send my invite</span>
  </figure>`;
}

export function brandingPanel() {
  const busy = view.busy !== '';
  const types = view.logoTypes.map((type) => type.replace('image/', '').toUpperCase()).join(', ');
  return html`<section id="branding-panel" class="panel" aria-labelledby="branding-heading">
    <h2 id="branding-heading">Branding</h2>
    <p class="panel-intro">How the guest pages look: your server's name, an accent colour for buttons and links, a welcome line and a logo.</p>
    <form id="branding-form" method="post" novalidate @submit=${saveBranding} @input=${typed}>
      <fieldset class="plain-fieldset" ?disabled=${!view.loaded || busy}>
        <legend class="visually-hidden">Guest page branding</legend>
        <div class="field">
          <label for="branding-name">Display name</label>
          <input id="branding-name" name="serverName" type="text" maxlength="80" autocomplete="off"
            aria-describedby="branding-name-hint" .value=${draft.serverName}>
          <p id="branding-name-hint" class="hint">Empty keeps the Plex server's own name.</p>
        </div>
        <div class="field">
          <label for="branding-accent">Accent colour</label>
          <input id="branding-accent" name="accent" type="text" maxlength="7" autocomplete="off" spellcheck="false"
            placeholder="#1d5fd0" aria-describedby="branding-accent-hint" .value=${draft.accent}>
          <p id="branding-accent-hint" class="hint">${contrastNote()}</p>
        </div>
        <div class="field">
          <label for="branding-welcome">Welcome line</label>
          <input id="branding-welcome" name="welcome" type="text" maxlength="200" autocomplete="off"
            aria-describedby="branding-welcome-hint" .value=${draft.welcome}>
          <p id="branding-welcome-hint" class="hint">One line of plain text under the page title.</p>
        </div>
      </fieldset>
      <div class="button-row">
        <button id="save-branding" class="button button-inline" type="submit" ?disabled=${!view.loaded || busy}
          aria-busy=${view.busy === 'save' ? 'true' : 'false'}>${view.busy === 'save' ? 'Saving…' : 'Save branding'}</button>
      </div>
      ${statusLine('branding-status', view.status)}
    </form>
    ${preview()}
    <div class="field">
      <label for="branding-logo">Logo</label>
      <input id="branding-logo" type="file" accept=${view.logoTypes.join(',')} aria-describedby="branding-logo-hint"
        ?disabled=${!view.loaded || busy} @change=${uploadLogo}>
      <p id="branding-logo-hint" class="hint">${types}, at most ${Math.round(view.maxLogoBytes / 1024)} KB. SVG isn't accepted.</p>
    </div>
    ${
      view.logoUrl
        ? html`<div class="button-row"><button id="remove-logo" class="button button-secondary button-inline" type="button"
            ?disabled=${busy} @click=${removeLogo}>Remove the logo</button></div>`
        : nothing
    }
    ${statusLine('branding-logo-status', view.logoStatus)}
  </section>`;
}

/** After the panel is rendered: the preview's colours. */
export function afterBrandingRender() {
  paintPreview();
}

/** @param {Partial<typeof view>} changes */
function set(changes) {
  Object.assign(view, changes);
  rerender();
}

/** Reads a GET/PUT answer; false if it isn't one. @param {Result} answer */
function apply(answer) {
  const body = answer.body;
  if (!answer.ok || !isObject(body.branding)) return false;
  const saved = body.branding;
  view.serverName = asText(saved.serverName);
  view.accent = asText(saved.accent);
  view.welcome = asText(saved.welcome);
  view.logoUrl = asText(saved.logoUrl).startsWith('/api/branding/logo') ? asText(saved.logoUrl) : '';
  if (typeof body.minContrast === 'number') view.minContrast = body.minContrast;
  if (typeof body.maxLogoBytes === 'number') view.maxLogoBytes = body.maxLogoBytes;
  if (Array.isArray(body.logoTypes)) view.logoTypes = body.logoTypes.filter((type) => typeof type === 'string');
  if (isObject(body.contrastAgainst) && HEX.test(asText(body.contrastAgainst.page)))
    view.page = asText(body.contrastAgainst.page);
  view.loaded = true;
  return true;
}

function takeSaved() {
  Object.assign(draft, { serverName: view.serverName, accent: view.accent, welcome: view.welcome });
}

/** @param {Event} event */
function typed(event) {
  clearInvalidOnInput(event);
  const input = event.target;
  if (!(input instanceof HTMLInputElement)) return;
  if (input.name === 'serverName' || input.name === 'accent' || input.name === 'welcome')
    draft[input.name] = input.value;
  if (view.status.kind === 'error') view.status = NO_STATUS;
  rerender();
}

/** @param {SubmitEvent} event */
async function saveBranding(event) {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.currentTarget);
  if (view.busy) return;
  set({ busy: 'save', status: status('Saving…') });
  const body = { serverName: draft.serverName.trim(), accent: draft.accent.trim(), welcome: draft.welcome.trim() };
  const answer = await request('PUT', '/manage/branding', { body });
  if (dropped(answer)) return;
  view.busy = '';
  if (apply(answer)) {
    takeSaved();
    set({ status: status('Saved. The guest pages use it now.', 'ok') });
    return;
  }
  const wrong = answer.error?.field ?? '';
  set({ status: status(`Couldn't save the branding. ${failureText(answer)}`, 'error') });
  if (wrong in FIELDS) {
    const input = field(form, wrong);
    setInvalid(input, true);
    input?.focus();
  }
}

/** @param {Event} event */
async function uploadLogo(event) {
  const input = /** @type {HTMLInputElement} */ (event.currentTarget);
  const file = input.files?.[0];
  if (!file || view.busy) return;
  setInvalid(input, false);
  if (file.size > view.maxLogoBytes) {
    setInvalid(input, true);
    set({
      logoStatus: status(
        `That file is ${Math.ceil(file.size / 1024)} KB; at most ${Math.round(view.maxLogoBytes / 1024)} KB.`,
        'error',
      ),
    });
    return;
  }
  set({ busy: 'logo', logoStatus: status('Uploading…') });
  const answer = await request('PUT', '/manage/branding/logo', { file });
  if (dropped(answer)) return;
  view.busy = '';
  input.value = '';
  if (apply(answer)) set({ logoStatus: status('Logo uploaded. The guest pages show it now.', 'ok') });
  else {
    setInvalid(input, true);
    set({ logoStatus: status(`Couldn't upload the logo. ${failureText(answer)}`, 'error') });
  }
  document.getElementById('branding-logo')?.focus();
}

async function removeLogo() {
  if (view.busy) return;
  set({ busy: 'logo', logoStatus: status('Removing…') });
  const answer = await request('DELETE', '/manage/branding/logo');
  if (dropped(answer)) return;
  view.busy = '';
  if (apply(answer)) set({ logoStatus: status('Logo removed.', 'ok') });
  else set({ logoStatus: status(`Couldn't remove the logo. ${failureText(answer)}`, 'error') });
  document.getElementById('branding-logo')?.focus();
}

export async function loadBranding() {
  const answer = await request('GET', '/manage/branding', { key: 'branding' });
  if (dropped(answer)) return;
  if (apply(answer)) {
    takeSaved();
    rerender();
  } else set({ status: status(`Couldn't load the branding. ${failureText(answer)}`, 'error') });
}

export function resetBranding() {
  Object.assign(view, {
    loaded: false,
    serverName: '',
    accent: '',
    welcome: '',
    logoUrl: '',
    busy: '',
    status: NO_STATUS,
    logoStatus: NO_STATUS,
  });
  takeSaved();
}

/** @param {() => void} update re-renders the Settings panels */
export function mountBranding(update) {
  rerender = update;
}
