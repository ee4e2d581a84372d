// @ts-check
/* The admin app's entry: signs in (login.js), then mounts every view into its section of index.html, loads them,
   and on sign-out (or a session that ended) drops every answer still on its way and forgets what it showed. */
import { abortAll, failureText, request, setCsrfToken, whenSessionEnds } from './api.js';
import { loadAudit, mountAudit, resetAudit } from './audit.js';
import { loadBatches, mountBatches, resetBatches } from './batch.js';
import { loadInviteLinks, mountInvites, resetInvites } from './invites.js';
import { loadKeys, mountKeys, resetKeys } from './keys.js';
import { checkSession, showLogin, showPage, startLogin } from './login.js';
import { loadNotifications, mountNotifications, resetNotifications } from './notifications.js';
import { loadOnboarding, mountOnboarding, resetOnboarding } from './onboarding.js';
import { loadDashboard, mountOverview, resetOverview } from './overview.js';
import { loadSettings, mountSettings, resetSettings } from './settings.js';
import { changed, clearStore, store } from './store.js';
import { loadTiers, mountTiers, resetTiers } from './tiers.js';
import { mountTotp, resetTotp } from './totp.js';
import { byId } from './ui.js';
import { loadUsers, mountUsers, resetUsers } from './users.js';

/** @typedef {import('./store.js').Session} Session */

/** @param {string} id */
function section(id) {
  return /** @type {HTMLElement} */ (byId(id));
}

/** The dashboard's error line and its Try again button. @param {string} message */
function showError(message) {
  section('dashboard-error').textContent = message;
  section('dashboard-retry-row').hidden = !message;
}

/** Forgets the session and everything it showed. */
function leaveDashboard() {
  abortAll();
  setCsrfToken('');
  clearStore();
  for (const reset of [
    resetOverview,
    resetInvites,
    resetBatches,
    resetUsers,
    resetTiers,
    resetSettings,
    resetTotp,
    resetNotifications,
    resetOnboarding,
    resetKeys,
    resetAudit,
  ]) {
    reset();
  }
  section('admin-name').textContent = '';
  showError('');
}

/** @param {string} notice @param {boolean} isError */
function signOutTo(notice, isError) {
  leaveDashboard();
  showLogin(notice, isError);
}

/** @param {Session} session @param {boolean} moveFocus */
function enterDashboard(session, moveFocus) {
  leaveDashboard();
  store.session = session;
  setCsrfToken(session.csrfToken);
  section('admin-name').textContent = session.username;
  resetTotp();
  changed();
  showPage('dashboard');
  if (moveFocus) section('dashboard-heading').focus();
  void loadDashboard(false);
  void loadTiers(false);
  void loadInviteLinks(false);
  void loadBatches();
  void loadUsers(false);
  loadSettings();
  void loadOnboarding();
  void loadNotifications(false);
  void loadKeys();
  void loadAudit();
}

async function signOut() {
  const button = /** @type {HTMLButtonElement} */ (byId('logout-button'));
  button.disabled = true;
  button.textContent = 'Signing out…';
  const answer = await request('POST', '/manage/logout');
  button.disabled = false;
  button.textContent = 'Sign out';
  if (answer.ok || answer.status === 401 || answer.sessionEnded) {
    signOutTo("You've signed out.", false);
    return;
  }
  if (!answer.aborted) showError(`Couldn't sign out: ${failureText(answer)}`);
}

function start() {
  if (!byId('login-form') || !byId('dashboard')) return;
  whenSessionEnds(() => signOutTo('Your session has ended. Sign in again.', true));
  mountOverview(section('view-overview'), showError);
  // The Invites view: the invite links, then the batch invite below them.
  const [linksRoot, batchRoot] = [document.createElement('div'), document.createElement('div')];
  section('invite-links-panel').append(linksRoot, batchRoot);
  mountInvites(linksRoot, (quiet) => void loadTiers(quiet));
  mountBatches(batchRoot);
  mountTiers(section('tiers-panel'), (quiet) => void loadInviteLinks(quiet));
  mountUsers(section('users-panel'));
  mountSettings(section('settings-panels'), {
    reloadDashboard: (quiet) => void loadDashboard(quiet),
    signedOutEverywhere: () => signOutTo('You are signed out on every browser and device.', false),
    showError,
  });
  mountTotp(section('totp-panel'));
  mountKeys(section('api-keys-panel'));
  mountAudit(section('audit-panel'));
  mountOnboarding(section('onboarding-panel'));
  mountNotifications(section('notifications-panel'));
  byId('logout-button')?.addEventListener('click', signOut);
  byId('dashboard-retry')?.addEventListener('click', () => void loadDashboard(false));
  startLogin(enterDashboard);
  void checkSession();
}

start();
