// @ts-check
/* Settings → Two-step sign-in: off, setting up (QR code, key, confirm with a code), the recovery codes shown once,
   and on (turn off with a code). Each step moves focus to its heading, so a screen reader follows along. */
import { html, nothing, render } from '../vendor/lit-html.js';
import { asText, dropped, failureText, request } from './api.js';
import { store, subscribe } from './store.js';
import { clearInvalidOnInput, copyText, focusId, NO_STATUS, setInvalid, status, statusLine } from './ui.js';

/** @typedef {'off' | 'setup' | 'recovery' | 'on'} Mode */

const CODE_REQUIRED = 'Enter the 6-digit code from your authenticator app.';

const view = {
  /** @type {Mode} */
  mode: 'off',
  /** @type {'' | 'setup' | 'confirm' | 'disable'} */
  busy: '',
  setup: { secret: '', qr: '', uri: '' },
  /** @type {string[]} */
  recoveryCodes: [],
  status: NO_STATUS,
};

/** @type {HTMLElement | null} */
let root = null;

/** @param {string} svg */
function svgDataUrl(svg) {
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

/** @param {string} id @param {string} label */
function codeField(id, label) {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <input id=${id} type="text" class="code-input" inputmode="numeric" autocomplete="one-time-code" maxlength="6"
      pattern="[0-9]{6}" spellcheck="false">
  </div>`;
}

function setupTemplate() {
  const { secret, qr, uri } = view.setup;
  return html`<div id="totp-setup">
    <h3 id="totp-setup-heading" class="subheading" tabindex="-1">Set up your authenticator app</h3>
    <ol class="setup-steps">
      <li>
        <p>Scan this QR code with your authenticator app:</p>
        ${qr ? html`<img id="totp-qr" class="qr" alt="QR code for your authenticator app" width="208" height="208" src=${qr}>` : nothing}
        ${uri ? html`<p id="totp-open-app-row" class="small-note">On this phone? <a id="totp-open-app" href=${uri}>Open it in your authenticator app</a>.</p>` : nothing}
      </li>
      <li><p>Or type this key in by hand:</p><p><code id="totp-secret" class="secret">${secret}</code></p></li>
      <li>
        <form id="totp-confirm-form" class="inline-form" method="post" novalidate @submit=${confirm}>
          ${codeField('totp-confirm-code', 'Enter the 6-digit code the app shows')}
          <button id="totp-confirm-button" class="button button-inline" type="submit" ?disabled=${view.busy !== ''}>
            ${view.busy === 'confirm' ? 'Checking…' : 'Turn on'}</button>
          <button id="totp-cancel-button" class="button button-secondary button-inline" type="button"
            ?disabled=${view.busy !== ''} @click=${cancel}>Cancel</button>
        </form>
      </li>
    </ol>
  </div>`;
}

function template() {
  return html`<h2 id="totp-heading" tabindex="-1">Two-step sign-in</h2>
    ${
      view.mode === 'off'
        ? html`<div id="totp-off">
          <p class="totp-state"><span class="badge badge-unknown">Off</span> Two-step sign-in is off</p>
          <p class="panel-intro">Add an authenticator app (e.g. 1Password, Google Authenticator, Aegis) so a stolen password alone can't open this dashboard.</p>
          <button id="totp-setup-button" class="button button-inline" type="button" ?disabled=${view.busy !== ''} @click=${startSetup}>
            ${view.busy === 'setup' ? 'Preparing…' : 'Set up two-step sign-in'}</button>
        </div>`
        : nothing
    }
    ${view.mode === 'setup' ? setupTemplate() : nothing}
    ${
      view.mode === 'recovery'
        ? html`<div id="totp-recovery" class="recovery-box">
          <h3 id="recovery-heading" tabindex="-1">Save your recovery codes</h3>
          <p>Two-step sign-in is on. If you lose your phone, each of these codes signs you in once. They are shown only now: store them in a password manager or print them, and keep them private.</p>
          <ol id="recovery-codes" class="recovery-codes">${view.recoveryCodes.map((code) => html`<li>${code}</li>`)}</ol>
          <div class="button-row">
            <button id="copy-recovery-codes" class="button button-secondary button-inline" type="button" @click=${copyCodes}>Copy codes</button>
            <button id="recovery-done" class="button button-inline" type="button" @click=${recoveryDone}>I've saved them</button>
          </div>
        </div>`
        : nothing
    }
    ${
      view.mode === 'on'
        ? html`<div id="totp-on">
          <p class="totp-state"><span class="badge badge-ok">On</span> Two-step sign-in is on</p>
          <p class="panel-intro">Signing in needs your password and a code from your authenticator app (or a recovery code).</p>
          <form id="totp-disable-form" class="inline-form" method="post" novalidate @submit=${disable}>
            ${codeField('totp-disable-code', 'Code from your app, to turn it off')}
            <button id="totp-disable-button" class="button button-secondary button-danger button-inline" type="submit"
              ?disabled=${view.busy !== ''}>${view.busy === 'disable' ? 'Turning off…' : 'Turn off'}</button>
          </form>
        </div>`
        : nothing
    }
    ${statusLine('totp-status', view.status)}`;
}

function update() {
  if (root) render(template(), root);
}

/** @param {Partial<typeof view>} changes */
function set(changes) {
  Object.assign(view, changes);
  update();
}

/** @param {string} message @param {string} [inputId] */
function fail(message, inputId) {
  set({ busy: '', status: status(message, 'error') });
  if (inputId) {
    setInvalid(document.getElementById(inputId), true);
    focusId(inputId);
  }
}

async function startSetup() {
  set({ busy: 'setup', status: NO_STATUS });
  const answer = await request('POST', '/manage/totp/setup', { body: {} });
  if (dropped(answer)) return;
  const secret = answer.ok ? asText(answer.body.secret) : '';
  if (!secret) {
    fail(failureText(answer));
    focusId('totp-setup-button');
    return;
  }
  const qr = asText(answer.body.qrSvg);
  const uri = asText(answer.body.otpauthUri);
  view.setup = {
    secret,
    // Shown through <img>, so nothing in the SVG can run; only something that looks like an SVG is used.
    qr: /^(<\?xml[^>]*>\s*)?<svg[\s>]/i.test(qr) ? svgDataUrl(qr) : '',
    uri: /^otpauth:\/\//i.test(uri) ? uri : '',
  };
  set({ busy: '', mode: 'setup' });
  focusId('totp-setup-heading');
}

/** The 6 digits typed in the input, or '' after saying what's wrong. @param {string} inputId */
function readCode(inputId) {
  const input = /** @type {HTMLInputElement} */ (document.getElementById(inputId));
  setInvalid(input, false);
  const code = input.value.replace(/\s+/g, '');
  if (/^\d{6}$/.test(code)) return code;
  fail(CODE_REQUIRED, inputId);
  return '';
}

/** @param {SubmitEvent} event */
async function confirm(event) {
  event.preventDefault();
  if (view.busy) return;
  const code = readCode('totp-confirm-code');
  if (!code) return;
  set({ busy: 'confirm', status: NO_STATUS });
  const answer = await request('POST', '/manage/totp/confirm', { body: { code } });
  if (dropped(answer)) return;
  const codes =
    answer.ok && Array.isArray(answer.body.recoveryCodes) ? answer.body.recoveryCodes.map(asText).filter(Boolean) : [];
  if (!codes.length) {
    /** @type {HTMLInputElement} */ (document.getElementById('totp-confirm-code')).value = '';
    fail(failureText(answer), 'totp-confirm-code');
    return;
  }
  if (store.session) store.session.totpEnabled = true;
  set({ busy: '', mode: 'recovery', recoveryCodes: codes, setup: { secret: '', qr: '', uri: '' } });
  focusId('recovery-heading');
}

function cancel() {
  set({ mode: 'off', status: NO_STATUS, setup: { secret: '', qr: '', uri: '' } });
  focusId('totp-setup-button');
}

async function copyCodes() {
  const copied = await copyText(view.recoveryCodes.join('\n'), document.getElementById('recovery-codes'));
  set({
    status: copied
      ? status('Copied to the clipboard.', 'ok')
      : status("Copying didn't work here. Select the codes and copy them by hand.", 'error'),
  });
}

function recoveryDone() {
  set({ mode: 'on', recoveryCodes: [], status: NO_STATUS });
  focusId('totp-heading');
}

/** @param {SubmitEvent} event */
async function disable(event) {
  event.preventDefault();
  if (view.busy) return;
  const code = readCode('totp-disable-code');
  if (!code) return;
  set({ busy: 'disable', status: NO_STATUS });
  const answer = await request('POST', '/manage/totp/disable', { body: { code } });
  if (dropped(answer)) return;
  const input = /** @type {HTMLInputElement | null} */ (document.getElementById('totp-disable-code'));
  if (input) input.value = '';
  if (!answer.ok) {
    fail(failureText(answer), 'totp-disable-code');
    return;
  }
  if (store.session) store.session.totpEnabled = false;
  set({
    busy: '',
    mode: 'off',
    status: status('Two-step sign-in is off. Signing in now needs only your password.', 'ok'),
  });
  focusId('totp-heading');
}

/** The panel as the session says: on or off, nothing half-done. */
export function resetTotp() {
  Object.assign(view, {
    mode: store.session?.totpEnabled ? 'on' : 'off',
    busy: '',
    recoveryCodes: [],
    status: NO_STATUS,
  });
  view.setup = { secret: '', qr: '', uri: '' };
  update();
}

/** @param {HTMLElement} container */
export function mountTotp(container) {
  root = container;
  container.addEventListener('input', clearInvalidOnInput);
  subscribe(update);
  resetTotp();
}
