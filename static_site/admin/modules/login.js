// @ts-check
/* Signing in: the password step, then (with two-step sign-in on) the code or a recovery code; and the page that
   says a setting the sign-in needs is missing. The form is in index.html, so it shows before any script runs. */
import { cleanMessage, errorCode, errorMessage, send, TEXT } from './api.js';
import { readSession } from './store.js';
import { byId, clearInvalidOnInput, setInvalid } from './ui.js';

/** @typedef {import('./store.js').Session} Session */
/** @typedef {import('../types/api').components['schemas']['LoginRequest']} LoginRequest */

const LOGIN_TEXT = Object.freeze({
  signIn: 'Sign in',
  signingIn: 'Signing in…',
  verify: 'Verify',
  verifying: 'Checking code…',
  usernameRequired: 'Enter your username.',
  passwordRequired: 'Enter your password.',
  totpRequired: 'Enter the 6-digit code from your authenticator app.',
  recoveryRequired: 'Enter one of your recovery codes.',
  useRecovery: 'Use a recovery code instead',
  useTotp: 'Use a code from your authenticator app instead',
  setupFallback: 'A setting the admin sign-in needs is missing.',
});

/** Kept in memory only for the retry with the code, and dropped as soon as it's done. @type {{ username: string, password: string } | null} */
let pending = null;
let useRecovery = false;
/** @type {(session: Session, moveFocus: boolean) => void} */
let onSignedIn = () => {};

/** @param {string} id */
function input(id) {
  return /** @type {HTMLInputElement} */ (byId(id));
}

/** @param {string} id */
function node(id) {
  return /** @type {HTMLElement} */ (byId(id));
}

/** @param {string} message */
function setError(message) {
  node('login-error').textContent = message;
}

/** @param {string} message @param {boolean} [isError] */
function setNotice(message, isError = false) {
  const notice = node('login-notice');
  notice.textContent = message;
  notice.classList.toggle('is-error', isError);
}

/** Which page shows: the dashboard, the sign-in form, the setup notice or "Loading…". @param {'dashboard' | 'login' | 'setup' | 'loading'} name */
export function showPage(name) {
  const onDashboard = name === 'dashboard';
  node('auth-main').hidden = onDashboard;
  node('dashboard').hidden = !onDashboard;
  node('dashboard-main').hidden = !onDashboard;
  node('login-section').hidden = name !== 'login';
  node('setup-section').hidden = name !== 'setup';
  if (name !== 'loading') node('app-status').textContent = '';
}

/** @param {boolean} recovery */
function setRecoveryMode(recovery) {
  useRecovery = recovery;
  node('totp-code-field').hidden = recovery;
  node('recovery-code-field').hidden = !recovery;
  node('use-recovery-code').textContent = recovery ? LOGIN_TEXT.useTotp : LOGIN_TEXT.useRecovery;
  setInvalid(input('login-totp'), false);
  setInvalid(input('login-recovery'), false);
}

/** Clears what was typed and shows the password step, or the step that asks for the code. @param {boolean} codeStep */
function showStep(codeStep) {
  for (const id of ['login-password', 'login-totp', 'login-recovery']) input(id).value = '';
  setRecoveryMode(false);
  node('password-step').hidden = codeStep;
  node('totp-step').hidden = !codeStep;
  node('login-button').textContent = codeStep ? LOGIN_TEXT.verify : LOGIN_TEXT.signIn;
  if (!codeStep) pending = null;
}

/** Shows the sign-in form, with a notice (signed out, session ended). @param {string} notice @param {boolean} isError */
export function showLogin(notice, isError) {
  showStep(false);
  setError('');
  setInvalid(input('login-username'), false);
  setInvalid(input('login-password'), false);
  setNotice(notice, isError);
  document.title = 'Sign in · Helpr admin';
  showPage('login');
  (input('login-username').value ? input('login-password') : input('login-username')).focus();
}

/** @param {string} message */
function showSetup(message) {
  pending = null;
  node('setup-message').textContent = message || LOGIN_TEXT.setupFallback;
  document.title = 'Setup needed · Helpr admin';
  showPage('setup');
  node('setup-heading').focus();
}

/** @returns {{ payload: LoginRequest } | { problem: string, input: HTMLInputElement }} */
function buildPayload() {
  if (!pending) {
    const username = input('login-username').value.trim();
    const password = input('login-password').value;
    if (!username) return { problem: LOGIN_TEXT.usernameRequired, input: input('login-username') };
    if (!password) return { problem: LOGIN_TEXT.passwordRequired, input: input('login-password') };
    return { payload: { username, password } };
  }
  /** @type {LoginRequest} */
  const payload = { ...pending };
  if (useRecovery) {
    const recovery = input('login-recovery').value.trim();
    if (!recovery) return { problem: LOGIN_TEXT.recoveryRequired, input: input('login-recovery') };
    payload.recoveryCode = recovery;
  } else {
    const code = input('login-totp').value.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(code)) return { problem: LOGIN_TEXT.totpRequired, input: input('login-totp') };
    payload.totpCode = code;
  }
  return { payload };
}

/** @param {import('./api.js').Result} answer @param {LoginRequest} payload */
function handleAnswer(answer, payload) {
  if (answer.ok) {
    const session = readSession(answer.body);
    if (!session) {
      setError(TEXT.serverProblem);
      return;
    }
    showStep(false);
    setNotice('');
    onSignedIn(session, true);
    return;
  }
  const code = errorCode(answer);
  if (code === 'setup_required' || (answer.status === 503 && !code && answer.error)) {
    showSetup(cleanMessage(answer.error?.message));
    return;
  }
  if (code === 'second_factor_required') {
    setError('');
    showStep(true);
    pending = { username: payload.username, password: payload.password };
    input('login-totp').focus();
    return;
  }
  const message = errorMessage(answer);
  if (code === 'invalid_credentials') {
    if (pending) showStep(false);
    input('login-password').value = '';
    setError(message);
    setInvalid(input('login-password'), true);
    input('login-password').focus();
    return;
  }
  if (code === 'invalid_second_factor' && pending) {
    const field = useRecovery ? input('login-recovery') : input('login-totp');
    field.value = '';
    setInvalid(field, true);
    setError(message);
    field.focus();
    return;
  }
  setError(message);
}

/** @param {SubmitEvent} event */
async function handleSubmit(event) {
  event.preventDefault();
  const button = /** @type {HTMLButtonElement} */ (byId('login-button'));
  if (button.disabled) return;
  setError('');
  setNotice('');
  for (const id of ['login-username', 'login-password', 'login-totp', 'login-recovery']) setInvalid(input(id), false);
  const built = buildPayload();
  if ('problem' in built) {
    setError(built.problem);
    setInvalid(built.input, true);
    built.input.focus();
    return;
  }
  const form = /** @type {HTMLFormElement} */ (byId('login-form'));
  const controls = [...form.elements].filter(
    (control) => control instanceof HTMLButtonElement || control instanceof HTMLInputElement,
  );
  const idle = button.textContent;
  for (const control of controls) control.disabled = true;
  button.textContent = pending ? LOGIN_TEXT.verifying : LOGIN_TEXT.signingIn;
  button.setAttribute('aria-busy', 'true');
  const answer = await send('POST', '/api/manage/login', built.payload);
  for (const control of controls) control.disabled = false;
  button.textContent = idle;
  button.removeAttribute('aria-busy');
  if (document.activeElement === document.body) button.focus();
  handleAnswer(answer, built.payload);
}

/** Asks whether a session is open: the dashboard if so, else the sign-in form (or the setup notice). */
export async function checkSession() {
  node('app-status').textContent = 'Loading…';
  const answer = await send('GET', '/api/manage/session');
  const session = answer.ok ? readSession(answer.body) : null;
  if (session) {
    onSignedIn(session, false);
  } else if (errorCode(answer) === 'setup_required') {
    showSetup(cleanMessage(answer.error?.message));
  } else if (answer.status === 401) {
    showLogin('', false);
  } else {
    showLogin(answer.ok ? TEXT.serverProblem : errorMessage(answer), true);
  }
}

/** @param {(session: Session, moveFocus: boolean) => void} signedIn */
export function startLogin(signedIn) {
  onSignedIn = signedIn;
  const form = /** @type {HTMLFormElement} */ (byId('login-form'));
  form.addEventListener('submit', handleSubmit);
  form.addEventListener('input', clearInvalidOnInput);
  node('use-recovery-code').addEventListener('click', () => {
    setError('');
    setRecoveryMode(!useRecovery);
    (useRecovery ? input('login-recovery') : input('login-totp')).focus();
  });
  node('login-restart').addEventListener('click', () => {
    setError('');
    showStep(false);
    input('login-password').focus();
  });
}
