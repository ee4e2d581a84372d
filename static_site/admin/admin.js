/* Helpr admin dashboard: sign-in (with optional second step), stats, libraries, two-step sign-in,
   and access: invite links, tiers and the people who joined. */
(function () {
  'use strict';

  var H = window.Helpr;
  var byId = H.byId;
  var clearChildren = H.clearChildren;
  var element = H.element;
  var isPlainObject = H.isPlainObject;
  var asText = H.asText;
  var cleanMessage = H.cleanMessage;
  var outcomeLabel = H.outcomeLabel;
  var createFormatter = H.createFormatter;
  var longDateTime = H.longDateTime;
  var parseTime = H.parseTime;
  var formatWith = H.formatWith;

  var API = {
    session: '/api/manage/session',
    login: '/api/manage/login',
    logout: '/api/manage/logout',
    logoutEverywhere: '/api/manage/sign-out-everywhere',
    dashboard: '/api/manage/dashboard',
    libraries: '/api/manage/libraries',
    librariesRefresh: '/api/manage/libraries/refresh',
    totpSetup: '/api/manage/totp/setup',
    totpConfirm: '/api/manage/totp/confirm',
    totpDisable: '/api/manage/totp/disable',
    inviteLinks: '/api/manage/invite-links',
    codeRequired: '/api/manage/code-required',
    tiers: '/api/manage/tiers',
    users: '/api/manage/users'
  };

  var REQUEST_TIMEOUT_MS = 20000;
  // Refreshing libraries talks to plex.tv; give the server's own timeout room to answer first.
  var PLEX_TIMEOUT_MS = 45000;
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var CHART_FALLBACK_WIDTH = 600;
  var CHART_FALLBACK_HEIGHT = 176;

  // Mirrors the server's rule for a chosen invite code; the server checks again.
  var CHOSEN_CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{5,63}$/;
  var MAX_USES = 1000000;
  var MAX_ACCESS_DAYS = 3650;
  var DEFAULT_EXTEND_DAYS = 30;
  var DEFAULT_TIER_ID = 'default';

  var LINK_STATUS = {
    active: { kind: 'ok', text: 'Active' },
    expired: { kind: 'unknown', text: 'Expired' },
    used_up: { kind: 'unknown', text: 'Used up' }
  };

  var USER_STATUS = {
    active: { kind: 'ok', text: 'Active' },
    expired: { kind: 'unknown', text: 'Expired' },
    revoked: { kind: 'fail', text: 'Revoked' }
  };

  var PLEX_STATUS = {
    pending: { kind: 'unknown', text: 'Invite pending' },
    accepted: { kind: 'ok', text: 'Accepted' },
    missing: { kind: 'fail', text: 'No share on Plex' },
    unknown: { kind: 'unknown', text: 'Unknown' }
  };

  // The dashboard's plex.connection: whether the owner token works, as far as anyone can tell now.
  var PLEX_CONNECTION = {
    working: { kind: 'ok', text: 'Working' },
    rejected: { kind: 'fail', text: 'Rejected by plex.tv' },
    unreachable: { kind: 'unknown', text: 'Unknown', note: 'plex.tv could not be reached, so the token could not be checked.' },
    unknown: { kind: 'unknown', text: 'Unknown', note: 'Not checked yet.' }
  };

  var PERMISSIONS = [
    { key: 'allowSync', label: 'Downloads', input: 'tier-allow-sync' },
    { key: 'allowCameraUpload', label: 'Camera upload', input: 'tier-allow-camera' },
    { key: 'allowChannels', label: 'Channels', input: 'tier-allow-channels' }
  ];

  // Which input an API error is about: by the error's field, else by its code.
  var LINK_FIELD_INPUTS = {
    code: 'link-code',
    tierId: 'link-tier',
    maxUses: 'link-max-uses',
    expiresAt: 'link-expires',
    accessDays: 'link-access-days',
    note: 'link-note'
  };

  var LINK_ERROR_INPUTS = {
    invalid_code: 'link-code',
    code_taken: 'link-code',
    expiry_in_past: 'link-expires',
    invalid_limits: 'link-max-uses',
    note_too_long: 'link-note',
    unknown_tier: 'link-tier'
  };

  var LIBRARY_TYPES = {
    movie: 'Movie library',
    show: 'TV library',
    artist: 'Music library',
    photo: 'Photo library'
  };

  var TEXT = Object.assign({}, H.TEXT, {
    loading: 'Loading…',
    loadingDashboard: 'Loading dashboard…',
    badRequest: "That didn't work. Check what you entered and try again.",
    tooManyAttempts: 'Too many attempts.',
    sessionEnded: 'Your session has ended. Sign in again.',
    signedOut: "You've signed out.",
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
    noLibrariesChosen: 'Tick at least one library: new invites need something to share.',
    sharesAll: 'No selection saved yet: invites share every library.',
    librariesUnavailable: "The library list couldn't be loaded from Plex.",
    noLibraries: 'Plex reported no libraries on this server.',
    tokenTitle: 'Your Plex token no longer works: invites are failing.',
    tokenText: 'Update PLEX_TOKEN (in Key Vault or the app settings), then press “Refresh from Plex” under Shared libraries to check it.',
    copied: 'Copied to the clipboard.',
    copyFailed: "Copying didn't work here. Select the codes and copy them by hand.",
    codeRequiredOn: 'Required on the guest page',
    codeRequiredOff: 'Not required: anyone with the page address can ask for an invite',
    codeAlwaysOn: 'Always on: INVITE_CODE is set',
    codeRequiredHelp: 'When on, the guest page asks for the code from one of your invite links.',
    listLoading: 'Loading…',
    noInviteLinks: 'No invite links yet. Create one above.',
    noTiers: 'No tiers yet.',
    noUsers: 'No one has joined through the portal yet.',
    linkCopied: 'Link copied to the clipboard.',
    linkCopyManual: "Copying didn't work here. The link is selected: copy it by hand (Ctrl+C or ⌘C, or long-press on a phone).",
    codeInvalid: 'A chosen code has 6 to 64 letters, digits, hyphens or underscores.',
    usesInvalid: 'Uses must be a whole number of 0 or more (0 = unlimited).',
    expiryInvalid: 'Enter a complete date and time for the expiry, or leave it empty.',
    expiryPast: 'The expiry must be in the future.',
    accessDaysInvalid: 'Access days must be a whole number from 0 to 3650 (0 = access doesn\'t expire).',
    tierDefaultLibraries: 'This tier follows the library choice above',
    tierNoLibraries: 'No libraries to choose from yet. Use “Refresh from Plex” under Shared libraries.',
    tierNameRequired: 'Give the tier a name.',
    tierLibrariesRequired: 'Tick at least one library for this tier.',
    noPermissions: 'None',
    extendDaysInvalid: 'Extend by a whole number of days from 1 to 3650.',
    usersLoading: 'Loading people from plex.tv…',
    confirmLogoutEverywhere: 'Sign out on every browser and device, this one included?',
    signedOutEverywhere: 'You are signed out on every browser and device.',
    usersPlexUnknown: "Couldn't read who accepted from plex.tv, so each person's Plex status is unknown."
  });

  var els = {};
  var state = {
    session: null,
    pendingLogin: null,
    useRecovery: false,
    dashboardLoading: false,
    daily: [],
    libraries: null,
    plex: null,
    totpMode: 'off',
    recoveryCodes: [],
    chartFrame: 0,
    // Bumped on sign-out so answers to requests from an earlier session are dropped.
    accessGeneration: 0,
    codeRequired: null,
    inviteLinks: [],
    inviteLinksLoaded: false,
    newLinkCode: '',
    tiers: [],
    tiersLoaded: false,
    editingTierId: '',
    users: [],
    usersLoaded: false,
    usersLoading: false,
    controlSeq: 0
  };

  function collectElements() {
    H.collectById([
      'auth-main', 'app-status', 'login-section', 'login-heading', 'login-notice', 'login-form', 'password-step',
      'login-username', 'login-password', 'totp-step', 'totp-code-field', 'login-totp', 'recovery-code-field',
      'login-recovery', 'use-recovery-code', 'login-restart', 'login-error', 'login-button',
      'setup-section', 'setup-heading', 'setup-message',
      'dashboard', 'dashboard-main', 'dashboard-heading', 'admin-server-name', 'admin-name', 'logout-button', 'logout-everywhere-button',
      'token-banner', 'token-banner-title', 'token-banner-text', 'token-banner-error',
      'dashboard-status', 'dashboard-error', 'dashboard-retry-row', 'dashboard-retry',
      'daily-chart', 'daily-table', 'chart-empty', 'recent-invites',
      'plex-server-name', 'plex-token-state', 'plex-last-error', 'plex-checked-at', 'invite-code-state',
      'libraries-form', 'library-options', 'libraries-note', 'libraries-fetched', 'save-libraries',
      'refresh-libraries', 'libraries-status',
      'totp-heading', 'totp-off', 'totp-setup-button', 'totp-setup', 'totp-setup-heading', 'totp-qr',
      'totp-open-app-row', 'totp-open-app', 'totp-secret', 'totp-confirm-form', 'totp-confirm-code',
      'totp-confirm-button', 'totp-cancel-button', 'totp-recovery', 'recovery-heading', 'recovery-codes',
      'copy-recovery-codes', 'recovery-done', 'totp-on', 'totp-disable-form', 'totp-disable-code',
      'totp-disable-button', 'totp-status',
      'invite-links-panel', 'invite-links-heading', 'code-required', 'code-required-note', 'invite-link-form',
      'link-code', 'link-tier', 'link-max-uses', 'link-expires', 'link-access-days', 'link-note',
      'create-link-button', 'invite-links-status', 'invite-links-retry-row', 'invite-links-retry', 'new-link',
      'new-link-url', 'copy-new-link', 'invite-links-list-heading', 'invite-links-table',
      'tiers-panel', 'tiers-heading', 'tiers-table', 'tier-form', 'tier-form-heading', 'tier-name',
      'tier-library-options', 'tier-libraries-note', 'tier-allow-sync', 'tier-allow-camera', 'tier-allow-channels',
      'save-tier-button', 'cancel-tier-edit', 'tiers-status', 'tiers-retry-row', 'tiers-retry',
      'users-panel', 'users-heading', 'refresh-users', 'users-status', 'users-table'
    ], els);
  }

  /* ---------- small helpers ---------- */

  function toCount(value) {
    return typeof value === 'number' && isFinite(value) && value > 0 ? Math.floor(value) : 0;
  }

  var numberFormat = typeof Intl === 'object' ? new Intl.NumberFormat() : null;
  // The recent-invites list leaves out the year; the invite log shows it.
  var shortDateTime = createFormatter({ month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  var dayLabel = createFormatter({ month: 'short', day: 'numeric' });
  var dayLongLabel = createFormatter({ weekday: 'short', month: 'short', day: 'numeric' });

  function formatNumber(value) {
    return numberFormat ? numberFormat.format(value) : String(value);
  }

  function formatDateTime(value) {
    var date = parseTime(value);
    return date ? formatWith(longDateTime, date) : '';
  }

  // "2026-11-21" is a calendar day, not an instant: build it in local time so it isn't shifted a day.
  function parseDay(value) {
    var match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(typeof value === 'string' ? value : '');
    if (!match) {
      return null;
    }
    return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  }

  function formatDay(value, formatter) {
    var date = parseDay(value);
    return date ? formatWith(formatter, date) : asText(value);
  }

  function plural(count, one, many) {
    return formatNumber(count) + ' ' + (count === 1 ? one : many);
  }

  function svgElement(tag, attributes) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, String(attributes[name]));
    });
    return node;
  }

  /* ---------- requests ---------- */

  // Always resolves, to { ok, status, body, error, retryAfter, network, timedOut }.
  function request(method, url, payload, timeoutMs) {
    var headers = { Accept: 'application/json' };
    var options = { method: method, headers: headers, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET') {
      headers['Content-Type'] = 'application/json';
      if (state.session && state.session.csrfToken) {
        headers['X-CSRF-Token'] = state.session.csrfToken;
      }
      options.body = JSON.stringify(payload || {});
    }
    return H.requestJson(url, options, timeoutMs || REQUEST_TIMEOUT_MS);
  }

  // A signed-in call: any 401 means the session expired or was revoked.
  function adminRequest(method, url, payload, timeoutMs) {
    return request(method, url, payload, timeoutMs).then(function (result) {
      if (result.status === 401 && state.session) {
        result.sessionEnded = true;
        showLogin(TEXT.sessionEnded, true);
      }
      return result;
    });
  }

  function errorMessage(result) {
    return H.errorMessage(result, TEXT);
  }

  function errorCode(result) {
    return result.error && typeof result.error.code === 'string' ? result.error.code : '';
  }

  /* ---------- busy controls ---------- */

  // Disables the controls while a request runs; the returned function undoes it and puts focus back if it was lost.
  function lockControls(controls, busyButton, busyText, focusTarget) {
    controls.forEach(function (control) {
      control.disabled = true;
    });
    var idleText = '';
    if (busyButton) {
      idleText = busyButton.textContent;
      busyButton.textContent = busyText;
      busyButton.setAttribute('aria-busy', 'true');
    }
    return function unlock() {
      controls.forEach(function (control) {
        control.disabled = false;
      });
      if (busyButton) {
        busyButton.textContent = idleText;
        busyButton.removeAttribute('aria-busy');
      }
      var active = document.activeElement;
      var target = focusTarget || busyButton;
      if ((!active || active === document.body) && target && document.body.contains(target) && !target.disabled) {
        target.focus();
      }
    };
  }

  function formControls(form) {
    return Array.prototype.slice.call(form.elements);
  }

  /* ---------- status lines ---------- */

  function setStatusLine(node, message, kind) {
    node.textContent = message || '';
    node.classList.toggle('is-error', kind === 'error');
    node.classList.toggle('is-ok', kind === 'ok');
  }

  function setInvalid(input, invalid) {
    if (invalid) {
      input.setAttribute('aria-invalid', 'true');
    } else {
      input.removeAttribute('aria-invalid');
    }
  }

  /* ---------- views ---------- */

  function showView(name) {
    var onDashboard = name === 'dashboard';
    els['auth-main'].hidden = onDashboard;
    els.dashboard.hidden = !onDashboard;
    els['dashboard-main'].hidden = !onDashboard;
    els['login-section'].hidden = name !== 'login';
    els['setup-section'].hidden = name !== 'setup';
    if (name !== 'loading') {
      setStatusLine(els['app-status'], '');
    }
  }

  function showSetup(message) {
    state.session = null;
    els['setup-message'].textContent = message || TEXT.setupFallback;
    document.title = 'Setup needed · Helpr admin';
    showView('setup');
    els['setup-heading'].focus();
  }

  /* ---------- sign-in ---------- */

  function setLoginError(message) {
    els['login-error'].textContent = message || '';
  }

  function setRecoveryMode(useRecovery) {
    state.useRecovery = useRecovery;
    els['totp-code-field'].hidden = useRecovery;
    els['recovery-code-field'].hidden = !useRecovery;
    els['use-recovery-code'].textContent = useRecovery ? TEXT.useTotp : TEXT.useRecovery;
    setInvalid(els['login-totp'], false);
    setInvalid(els['login-recovery'], false);
  }

  // Clears what was typed and shows the password step, or the step that asks for the code.
  function showLoginStep(codeStep) {
    els['login-password'].value = '';
    els['login-totp'].value = '';
    els['login-recovery'].value = '';
    setRecoveryMode(false);
    els['password-step'].hidden = codeStep;
    els['totp-step'].hidden = !codeStep;
    els['login-button'].textContent = codeStep ? TEXT.verify : TEXT.signIn;
  }

  function showPasswordStep() {
    state.pendingLogin = null;
    showLoginStep(false);
  }

  function showSecondStep(username, password) {
    // Kept in memory only for the retry with the code, and dropped as soon as it's done.
    state.pendingLogin = { username: username, password: password };
    showLoginStep(true);
    els['login-totp'].focus();
  }

  function showLogin(notice, isError) {
    resetDashboard();
    state.session = null;
    showPasswordStep();
    setLoginError('');
    setInvalid(els['login-username'], false);
    setInvalid(els['login-password'], false);
    setStatusLine(els['login-notice'], notice || '', isError ? 'error' : '');
    document.title = 'Sign in · Helpr admin';
    showView('login');
    if (els['login-username'].value) {
      els['login-password'].focus();
    } else {
      els['login-username'].focus();
    }
  }

  function readSession(body) {
    if (!isPlainObject(body) || typeof body.csrfToken !== 'string' || !body.csrfToken) {
      return null;
    }
    return {
      username: asText(body.username) || 'owner',
      csrfToken: body.csrfToken,
      expiresAt: asText(body.expiresAt),
      totpEnabled: body.totpEnabled === true
    };
  }

  function buildLoginPayload() {
    var pending = state.pendingLogin;
    if (!pending) {
      var username = els['login-username'].value.trim();
      var password = els['login-password'].value;
      if (!username) {
        return { problem: TEXT.usernameRequired, input: els['login-username'] };
      }
      if (!password) {
        return { problem: TEXT.passwordRequired, input: els['login-password'] };
      }
      return { payload: { username: username, password: password } };
    }
    var payload = { username: pending.username, password: pending.password };
    if (state.useRecovery) {
      var recovery = els['login-recovery'].value.trim();
      if (!recovery) {
        return { problem: TEXT.recoveryRequired, input: els['login-recovery'] };
      }
      payload.recoveryCode = recovery;
    } else {
      var code = els['login-totp'].value.replace(/\s+/g, '');
      if (!/^\d{6}$/.test(code)) {
        return { problem: TEXT.totpRequired, input: els['login-totp'] };
      }
      payload.totpCode = code;
    }
    return { payload: payload };
  }

  function handleLoginResult(result, payload) {
    if (result.ok) {
      var session = readSession(result.body);
      if (!session) {
        setLoginError(TEXT.serverProblem);
        return false;
      }
      state.pendingLogin = null;
      state.session = session;
      showPasswordStep();
      setStatusLine(els['login-notice'], '');
      enterDashboard(true);
      return true;
    }

    var code = errorCode(result);
    if (code === 'setup_required' || (result.status === 503 && !code && result.error)) {
      state.pendingLogin = null;
      showSetup(cleanMessage(result.error && result.error.message));
      return true;
    }
    if (code === 'second_factor_required') {
      setLoginError('');
      showSecondStep(payload.username, payload.password);
      return true;
    }
    var message = errorMessage(result);
    if (code === 'invalid_credentials') {
      if (state.pendingLogin) {
        showPasswordStep();
      }
      els['login-password'].value = '';
      setLoginError(message);
      setInvalid(els['login-password'], true);
      els['login-password'].focus();
      return true;
    }
    if (code === 'invalid_second_factor' && state.pendingLogin) {
      var input = state.useRecovery ? els['login-recovery'] : els['login-totp'];
      input.value = '';
      setInvalid(input, true);
      setLoginError(message);
      input.focus();
      return true;
    }
    setLoginError(message);
    return false;
  }

  function handleLoginSubmit(event) {
    event.preventDefault();
    if (els['login-button'].disabled) {
      return;
    }
    setLoginError('');
    setStatusLine(els['login-notice'], '');
    ['login-username', 'login-password', 'login-totp', 'login-recovery'].forEach(function (id) {
      setInvalid(els[id], false);
    });

    var built = buildLoginPayload();
    if (built.problem) {
      setLoginError(built.problem);
      setInvalid(built.input, true);
      built.input.focus();
      return;
    }

    var busyText = state.pendingLogin ? TEXT.verifying : TEXT.signingIn;
    var unlock = lockControls(formControls(els['login-form']), els['login-button'], busyText);
    request('POST', API.login, built.payload).then(function (result) {
      unlock();
      return handleLoginResult(result, built.payload);
    }).catch(function () {
      unlock();
      setLoginError(TEXT.serverProblem);
    });
  }

  function handleRecoveryToggle() {
    setLoginError('');
    setRecoveryMode(!state.useRecovery);
    (state.useRecovery ? els['login-recovery'] : els['login-totp']).focus();
  }

  function handleLoginRestart() {
    setLoginError('');
    showPasswordStep();
    els['login-password'].focus();
  }

  // Typing in a field marked invalid clears the mark (sign-in, code, tier and user forms).
  function handleInvalidInput(event) {
    if (event.target && event.target.hasAttribute('aria-invalid')) {
      setInvalid(event.target, false);
    }
  }

  /* ---------- sign-out ---------- */

  function handleLogout() {
    var unlock = lockControls([els['logout-button']], els['logout-button'], 'Signing out…');
    request('POST', API.logout, {}).then(function (result) {
      unlock();
      if (result.ok || result.status === 401) {
        showLogin(TEXT.signedOut, false);
        return;
      }
      setStatusLine(els['dashboard-error'], "Couldn't sign out: " + errorMessage(result));
    });
  }

  // Ends every session on every browser: for a lost laptop or a session that may have been copied.
  function handleLogoutEverywhere() {
    if (!window.confirm(TEXT.confirmLogoutEverywhere)) {
      return;
    }
    var button = els['logout-everywhere-button'];
    var unlock = lockControls([button, els['logout-button']], button, 'Signing out…');
    request('POST', API.logoutEverywhere, {}).then(function (result) {
      unlock();
      if (result.ok || result.status === 401) {
        showLogin(TEXT.signedOutEverywhere, false);
        return;
      }
      setStatusLine(els['dashboard-error'], "Couldn't sign out everywhere: " + errorMessage(result));
    });
  }

  /* ---------- dashboard ---------- */

  function enterDashboard(moveFocus) {
    els['admin-name'].textContent = state.session.username;
    state.totpMode = state.session.totpEnabled ? 'on' : 'off';
    renderTotp();
    showView('dashboard');
    if (moveFocus) {
      els['dashboard-heading'].focus();
    }
    loadDashboard(false);
    loadAccess();
  }

  function setDashboardError(message) {
    els['dashboard-error'].textContent = message || '';
    els['dashboard-retry-row'].hidden = !message;
  }

  function loadDashboard(quiet) {
    if (state.dashboardLoading) {
      return Promise.resolve();
    }
    state.dashboardLoading = true;
    if (!quiet) {
      setStatusLine(els['dashboard-status'], TEXT.loadingDashboard);
      setDashboardError('');
    }
    els['dashboard-retry'].disabled = true;
    return adminRequest('GET', API.dashboard).then(function (result) {
      state.dashboardLoading = false;
      els['dashboard-retry'].disabled = false;
      if (result.sessionEnded) {
        return;
      }
      setStatusLine(els['dashboard-status'], '');
      if (!result.ok) {
        if (!quiet) {
          setDashboardError("Couldn't load the dashboard. " + errorMessage(result));
        }
        return;
      }
      setDashboardError('');
      renderDashboard(result.body);
    });
  }

  function renderDashboard(data) {
    var totals = isPlainObject(data.totals) ? data.totals : {};
    renderStat('stat-all-time', totals.allTime);
    renderStat('stat-24h', totals.last24h);
    renderStat('stat-7d', totals.last7d);

    state.daily = normalizeDaily(data.daily);
    renderChart();
    renderDailyTable();

    var recent = Array.isArray(data.recent) ? data.recent : [];
    H.renderInviteRows(els['recent-invites'], recent, 'No invite requests yet.', shortDateTime);

    state.plex = isPlainObject(data.plex) ? data.plex : {};
    renderPlex(state.plex, data.inviteCodeRequired);
    renderTokenBanner(state.plex);
    renderLibraries(data.libraries);
  }

  function resetDashboard() {
    state.daily = [];
    state.libraries = null;
    state.plex = null;
    state.recoveryCodes = [];
    ['stat-all-time', 'stat-24h', 'stat-7d'].forEach(function (id) {
      renderStat(id, null);
    });
    clearChildren(els['daily-chart']);
    clearChildren(els['daily-table'].tBodies[0]);
    clearChildren(els['recent-invites'].tBodies[0]);
    clearChildren(els['library-options']);
    syncSaveButton();
    clearChildren(els['recovery-codes']);
    els['token-banner'].hidden = true;
    els['admin-name'].textContent = '';
    clearTotpSetup();
    ['dashboard-status', 'libraries-status', 'totp-status', 'libraries-note', 'libraries-fetched'].forEach(function (id) {
      setStatusLine(els[id], '');
    });
    setDashboardError('');
    ['totp-confirm-code', 'totp-disable-code'].forEach(function (id) {
      els[id].value = '';
    });
    resetAccess();
  }

  /* ---------- stats ---------- */

  function renderStat(id, totals) {
    var card = byId(id);
    var data = isPlainObject(totals) ? totals : null;
    card.querySelector('.stat-total').textContent = data ? formatNumber(toCount(data.total)) : '–';
    card.querySelector('.stat-succeeded').textContent = data ? formatNumber(toCount(data.succeeded)) : '–';
    card.querySelector('.stat-failed').textContent = data ? formatNumber(toCount(data.failed)) : '–';

    var list = card.querySelector('.stat-breakdown');
    clearChildren(list);
    var byOutcome = data && isPlainObject(data.byOutcome) ? data.byOutcome : {};
    Object.keys(byOutcome).map(function (outcome) {
      return { outcome: outcome, count: toCount(byOutcome[outcome]) };
    }).filter(function (entry) {
      return entry.count > 0;
    }).sort(function (a, b) {
      return b.count - a.count;
    }).forEach(function (entry) {
      list.appendChild(element('li', '', outcomeLabel(entry.outcome) + ': ' + formatNumber(entry.count)));
    });
    list.hidden = list.childNodes.length === 0;
  }

  /* ---------- daily chart ---------- */

  function normalizeDaily(daily) {
    if (!Array.isArray(daily)) {
      return [];
    }
    return daily.filter(isPlainObject).map(function (day) {
      return { date: asText(day.date), succeeded: toCount(day.succeeded), failed: toCount(day.failed) };
    });
  }

  function niceCeiling(value) {
    if (value <= 4) {
      return Math.max(1, value);
    }
    var magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i += 1) {
      if (steps[i] * magnitude >= value) {
        return steps[i] * magnitude;
      }
    }
    return 10 * magnitude;
  }

  function chartSummary(days) {
    var succeeded = 0;
    var failed = 0;
    days.forEach(function (day) {
      succeeded += day.succeeded;
      failed += day.failed;
    });
    return {
      succeeded: succeeded,
      failed: failed,
      label: 'Invites per day over the last ' + days.length + ' days: ' + formatNumber(succeeded) + ' succeeded, ' +
        formatNumber(failed) + ' failed'
    };
  }

  function axisText(x, y, anchor, text) {
    var node = svgElement('text', { x: x, y: y, 'text-anchor': anchor, class: 'axis-label' });
    node.textContent = text;
    return node;
  }

  // Drawn in CSS pixels (viewBox = rendered size) so labels stay readable at every width.
  function renderChart() {
    var svg = els['daily-chart'];
    var days = state.daily;
    clearChildren(svg);
    var summary = chartSummary(days);
    svg.setAttribute('aria-label', summary.label);
    els['chart-empty'].hidden = days.length === 0 || summary.succeeded + summary.failed > 0;
    if (!days.length) {
      return;
    }

    var box = svg.getBoundingClientRect();
    var width = Math.round(box.width) || CHART_FALLBACK_WIDTH;
    var height = Math.round(box.height) || CHART_FALLBACK_HEIGHT;
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);

    var maxTotal = 0;
    days.forEach(function (day) {
      maxTotal = Math.max(maxTotal, day.succeeded + day.failed);
    });
    var top = niceCeiling(maxTotal);
    var topLabel = formatNumber(top);
    var padLeft = Math.max(20, topLabel.length * 7 + 10);
    var padRight = 4;
    var padTop = 8;
    var padBottom = 24;
    var plotWidth = Math.max(10, width - padLeft - padRight);
    var plotHeight = Math.max(10, height - padTop - padBottom);
    var baseline = padTop + plotHeight;

    svg.appendChild(svgElement('line', {
      x1: padLeft, x2: width - padRight, y1: padTop + 0.5, y2: padTop + 0.5, class: 'grid-line grid-line-top'
    }));
    svg.appendChild(svgElement('line', {
      x1: padLeft, x2: width - padRight, y1: baseline + 0.5, y2: baseline + 0.5, class: 'grid-line'
    }));
    svg.appendChild(axisText(padLeft - 6, padTop + 4, 'end', topLabel));
    svg.appendChild(axisText(padLeft - 6, baseline + 4, 'end', '0'));

    var slot = plotWidth / days.length;
    var barWidth = Math.max(2, Math.min(28, slot * 0.68));
    days.forEach(function (day, index) {
      var x = padLeft + index * slot;
      var group = svgElement('g', { class: 'day' });
      var title = svgElement('title');
      title.textContent = formatDay(day.date, dayLongLabel) + ': ' + day.succeeded + ' succeeded, ' + day.failed + ' failed';
      group.appendChild(title);
      group.appendChild(svgElement('rect', { x: x, y: padTop, width: slot, height: plotHeight, class: 'day-hit' }));

      var barX = x + (slot - barWidth) / 2;
      var okHeight = day.succeeded ? Math.max(2, plotHeight * day.succeeded / top) : 0;
      var failHeight = day.failed ? Math.max(2, plotHeight * day.failed / top) : 0;
      if (okHeight) {
        group.appendChild(svgElement('rect', {
          x: barX.toFixed(2), y: (baseline - okHeight).toFixed(2), width: barWidth.toFixed(2),
          height: okHeight.toFixed(2), rx: 1.5, class: 'bar-ok'
        }));
      }
      if (failHeight) {
        group.appendChild(svgElement('rect', {
          x: barX.toFixed(2), y: (baseline - okHeight - failHeight).toFixed(2), width: barWidth.toFixed(2),
          height: failHeight.toFixed(2), rx: 1.5, class: 'bar-fail'
        }));
      }
      svg.appendChild(group);
    });

    var labelY = height - 6;
    svg.appendChild(axisText(padLeft, labelY, 'start', formatDay(days[0].date, dayLabel)));
    svg.appendChild(axisText(width - padRight, labelY, 'end', formatDay(days[days.length - 1].date, dayLabel)));
  }

  function renderDailyTable() {
    var body = els['daily-table'].tBodies[0];
    clearChildren(body);
    state.daily.forEach(function (day) {
      var row = document.createElement('tr');
      var date = element('th', '', formatDay(day.date, dayLongLabel));
      date.scope = 'row';
      row.appendChild(date);
      row.appendChild(element('td', '', formatNumber(day.succeeded)));
      row.appendChild(element('td', '', formatNumber(day.failed)));
      body.appendChild(row);
    });
  }

  function scheduleChartRender() {
    if (state.chartFrame || !state.daily.length || els.dashboard.hidden) {
      return;
    }
    state.chartFrame = window.requestAnimationFrame(function () {
      state.chartFrame = 0;
      renderChart();
    });
  }

  function watchChartSize() {
    if (typeof ResizeObserver === 'function') {
      var lastWidth = 0;
      new ResizeObserver(function (entries) {
        var width = Math.round(entries[0].contentRect.width);
        if (width && width !== lastWidth) {
          lastWidth = width;
          scheduleChartRender();
        }
      }).observe(els['daily-chart']);
    } else {
      window.addEventListener('resize', scheduleChartRender);
    }
  }

  /* ---------- Plex status and token banner ---------- */

  function badge(kind, text) {
    return element('span', 'badge badge-' + kind, text);
  }

  function renderPlex(plex, inviteCodeRequired) {
    var serverName = asText(plex.serverName);
    els['plex-server-name'].textContent = serverName || 'Unknown';
    if (serverName) {
      els['admin-server-name'].textContent = serverName;
    }
    // The shell (modules/shell.js) titles the page: the view, then the server.
    document.dispatchEvent(new CustomEvent('helpr:server-name', { detail: serverName }));

    var token = els['plex-token-state'];
    clearChildren(token);
    var connection = PLEX_CONNECTION[plex.connection] || PLEX_CONNECTION.unknown;
    token.appendChild(badge(connection.kind, connection.text));
    if (connection.note) {
      token.appendChild(document.createTextNode(' ' + connection.note));
    }

    var lastError = cleanMessage(plex.lastError);
    var lastErrorAt = formatDateTime(plex.lastErrorAt);
    els['plex-last-error'].textContent = lastError ? lastError + (lastErrorAt ? ' (' + lastErrorAt + ')' : '') : 'None';
    els['plex-checked-at'].textContent = formatDateTime(plex.checkedAt) || 'Not yet';

    renderInviteCodeState(inviteCodeRequired === true);
  }

  function renderInviteCodeState(required) {
    els['invite-code-state'].textContent = required ? TEXT.codeRequiredOn : TEXT.codeRequiredOff;
  }

  function renderTokenBanner(plex) {
    var banner = els['token-banner'];
    if (plex.tokenValid !== false) {
      banner.hidden = true;
      return;
    }
    els['token-banner-title'].textContent = TEXT.tokenTitle;
    els['token-banner-text'].textContent = TEXT.tokenText;
    var lastError = cleanMessage(plex.lastError);
    els['token-banner-error'].textContent = lastError ? 'Last error from Plex: ' + lastError : '';
    els['token-banner-error'].hidden = !lastError;
    banner.hidden = false;
  }

  /* ---------- libraries ---------- */

  function normalizeLibraries(libraries) {
    var data = isPlainObject(libraries) ? libraries : {};
    var items = Array.isArray(data.items) ? data.items.filter(function (item) {
      return isPlainObject(item) && (typeof item.id === 'number' || typeof item.id === 'string');
    }) : [];
    return {
      items: items.map(function (item) {
        return {
          id: item.id,
          title: asText(item.title) || 'Library ' + item.id,
          type: asText(item.type),
          selected: item.selected === true
        };
      }),
      fetchedAt: data.fetchedAt,
      sharesAll: data.sharesAll === true
    };
  }

  function libraryTypeLabel(type) {
    if (Object.prototype.hasOwnProperty.call(LIBRARY_TYPES, type)) {
      return LIBRARY_TYPES[type];
    }
    return type ? type.charAt(0).toUpperCase() + type.slice(1) + ' library' : 'Library';
  }

  // A checkbox for one library: in the shared-libraries form (name "library") or the tier form ("tier-library").
  function libraryOption(library, name, checked, disabled) {
    var item = document.createElement('li');
    var label = document.createElement('label');
    var box = document.createElement('input');
    box.type = 'checkbox';
    box.name = name;
    box.value = String(library.id);
    box.checked = checked;
    box.disabled = disabled;
    label.appendChild(box);
    label.appendChild(element('span', 'library-title', library.title));
    label.appendChild(element('span', 'library-type', libraryTypeLabel(library.type)));
    item.appendChild(label);
    return item;
  }

  function renderLibraries(libraries) {
    var data = normalizeLibraries(libraries);
    state.libraries = data;
    var list = els['library-options'];
    clearChildren(list);
    data.items.forEach(function (library) {
      list.appendChild(libraryOption(library, 'library', data.sharesAll || library.selected, false));
    });

    var note = '';
    var problem = false;
    if (!data.items.length) {
      var plexError = state.plex ? cleanMessage(state.plex.lastError) : '';
      note = plexError ? TEXT.librariesUnavailable + ' ' + plexError : TEXT.noLibraries;
      problem = Boolean(plexError);
    } else if (data.sharesAll) {
      note = TEXT.sharesAll;
    }
    setStatusLine(els['libraries-note'], note, problem ? 'error' : '');
    var fetched = formatDateTime(data.fetchedAt);
    els['libraries-fetched'].textContent = fetched ? 'List fetched from Plex ' + fetched + '.' : '';
    syncSaveButton();
    // Tiers name their libraries by id: show them with the titles from this list.
    renderTierLibraryOptions();
    renderTiers();
  }

  // Saving needs a loaded, non-empty list; called after anything that re-enables the form.
  function syncSaveButton() {
    els['save-libraries'].disabled = !state.libraries || state.libraries.items.length === 0;
  }

  function lockLibrariesForm(busyButton, busyText) {
    var unlock = lockControls(formControls(els['libraries-form']), busyButton, busyText);
    return function () {
      unlock();
      syncSaveButton();
    };
  }

  function checkedLibraries() {
    var wanted = {};
    Array.prototype.forEach.call(els['library-options'].querySelectorAll('input[name="library"]:checked'), function (box) {
      wanted[box.value] = true;
    });
    return state.libraries ? state.libraries.items.filter(function (library) {
      return wanted[String(library.id)];
    }) : [];
  }

  function sharedTitles(data) {
    return data.items.filter(function (library) {
      return data.sharesAll || library.selected;
    }).map(function (library) {
      return library.title;
    });
  }

  // Shows the list a save or refresh answered with and unlocks the form; false (after saying why) if there's none.
  function applyLibrariesResult(result, unlock, failure) {
    if (result.sessionEnded) {
      unlock();
      return false;
    }
    var libraries = result.ok && isPlainObject(result.body.libraries) ? result.body.libraries : null;
    if (!libraries) {
      unlock();
      setStatusLine(els['libraries-status'], failure + errorMessage(result), 'error');
      return false;
    }
    renderLibraries(libraries);
    unlock();
    return true;
  }

  function handleLibrariesSubmit(event) {
    event.preventDefault();
    if (els['save-libraries'].disabled) {
      return;
    }
    var chosen = checkedLibraries();
    if (!chosen.length) {
      setStatusLine(els['libraries-status'], TEXT.noLibrariesChosen, 'error');
      var first = els['library-options'].querySelector('input');
      if (first) {
        first.focus();
      }
      return;
    }
    setStatusLine(els['libraries-status'], 'Saving…');
    var unlock = lockLibrariesForm(els['save-libraries'], 'Saving…');
    adminRequest('PUT', API.libraries, {
      sectionIds: chosen.map(function (library) {
        return library.id;
      })
    }).then(function (result) {
      if (!applyLibrariesResult(result, unlock, "Couldn't save. ")) {
        return;
      }
      var titles = sharedTitles(state.libraries);
      setStatusLine(els['libraries-status'], 'Saved. New invites share: ' + (titles.join(', ') || 'no libraries') + '.', 'ok');
    });
  }

  function handleLibrariesRefresh() {
    setStatusLine(els['libraries-status'], 'Asking Plex for the library list…');
    var unlock = lockLibrariesForm(els['refresh-libraries'], 'Refreshing…');
    adminRequest('POST', API.librariesRefresh, {}, PLEX_TIMEOUT_MS).then(function (result) {
      if (!applyLibrariesResult(result, unlock, "Couldn't refresh the list. ")) {
        if (!result.sessionEnded) {
          loadDashboard(true);  // the Plex status card should say what just happened
        }
        return;
      }
      var count = state.libraries.items.length;
      setStatusLine(els['libraries-status'], 'Library list refreshed from Plex: ' + plural(count, 'library', 'libraries') + '.', 'ok');
      // Plex answered, so a stale "token no longer works" banner may be out of date: re-read the status.
      if (state.plex && state.plex.tokenValid === false) {
        loadDashboard(true);
      }
    });
  }

  /* ---------- two-step sign-in ---------- */

  function renderTotp() {
    var mode = state.totpMode;
    els['totp-off'].hidden = mode !== 'off';
    els['totp-setup'].hidden = mode !== 'setup';
    els['totp-recovery'].hidden = mode !== 'recovery';
    els['totp-on'].hidden = mode !== 'on';
  }

  function switchTotpMode(mode, focusTarget) {
    state.totpMode = mode;
    renderTotp();
    focusTarget.focus();
  }

  function clearTotpSetup() {
    els['totp-qr'].removeAttribute('src');
    els['totp-secret'].textContent = '';
    els['totp-open-app'].setAttribute('href', '#');
    els['totp-open-app-row'].hidden = true;
    els['totp-confirm-code'].value = '';
  }

  function svgDataUrl(svg) {
    var bytes = new TextEncoder().encode(svg);
    var binary = '';
    for (var i = 0; i < bytes.length; i += 1) {
      binary += String.fromCharCode(bytes[i]);
    }
    return 'data:image/svg+xml;base64,' + btoa(binary);
  }

  function readSixDigits(input) {
    var code = input.value.replace(/\s+/g, '');
    return /^\d{6}$/.test(code) ? code : '';
  }

  function totpError(message, input) {
    setStatusLine(els['totp-status'], message, 'error');
    if (input) {
      setInvalid(input, true);
      input.focus();
    }
  }

  function handleTotpSetup() {
    setStatusLine(els['totp-status'], '');
    var unlock = lockControls([els['totp-setup-button']], els['totp-setup-button'], 'Preparing…');
    adminRequest('POST', API.totpSetup, {}).then(function (result) {
      unlock();
      if (result.sessionEnded) {
        return;
      }
      var body = result.body;
      var secret = result.ok ? asText(body.secret) : '';
      if (!secret) {
        totpError(result.ok ? TEXT.serverProblem : errorMessage(result));
        return;
      }
      clearTotpSetup();
      var qr = typeof body.qrSvg === 'string' ? body.qrSvg.trim() : '';
      // Shown through <img>, so nothing in the SVG can run; only accept something that looks like an SVG.
      if (/^(<\?xml[^>]*>\s*)?<svg[\s>]/i.test(qr)) {
        els['totp-qr'].src = svgDataUrl(qr);
        els['totp-qr'].hidden = false;
      } else {
        els['totp-qr'].hidden = true;
      }
      els['totp-secret'].textContent = secret;
      var uri = asText(body.otpauthUri);
      if (/^otpauth:\/\//i.test(uri)) {
        els['totp-open-app'].setAttribute('href', uri);
        els['totp-open-app-row'].hidden = false;
      }
      switchTotpMode('setup', els['totp-setup-heading']);
    });
  }

  // The confirm and turn-off forms: check the 6-digit code, lock the form, send it; onResult gets the answer
  // unless the session ended meanwhile.
  function submitTotpCode(event, form, button, input, busyText, url, onResult) {
    event.preventDefault();
    if (button.disabled) {
      return;
    }
    setInvalid(input, false);
    var code = readSixDigits(input);
    if (!code) {
      totpError(TEXT.totpRequired, input);
      return;
    }
    setStatusLine(els['totp-status'], '');
    var unlock = lockControls(formControls(form), button, busyText, input);
    adminRequest('POST', url, { code: code }).then(function (result) {
      unlock();
      if (!result.sessionEnded) {
        onResult(result);
      }
    });
  }

  function handleTotpConfirm(event) {
    var input = els['totp-confirm-code'];
    var button = els['totp-confirm-button'];
    submitTotpCode(event, els['totp-confirm-form'], button, input, 'Checking…', API.totpConfirm, function (result) {
      var codes = result.ok && Array.isArray(result.body.recoveryCodes) ? result.body.recoveryCodes.filter(function (entry) {
        return typeof entry === 'string' && entry.trim();
      }) : null;
      if (!codes) {
        input.value = '';
        totpError(result.ok ? TEXT.serverProblem : errorMessage(result), input);
        return;
      }
      state.session.totpEnabled = true;
      clearTotpSetup();
      state.recoveryCodes = codes;
      var list = els['recovery-codes'];
      clearChildren(list);
      codes.forEach(function (entry) {
        list.appendChild(element('li', '', entry.trim()));
      });
      switchTotpMode('recovery', els['recovery-heading']);
    });
  }

  function handleTotpCancel() {
    clearTotpSetup();
    setStatusLine(els['totp-status'], '');
    switchTotpMode('off', els['totp-setup-button']);
  }

  function handleCopyRecoveryCodes() {
    var text = state.recoveryCodes.join('\n');
    var done = function () {
      setStatusLine(els['totp-status'], TEXT.copied, 'ok');
    };
    var failed = function () {
      setStatusLine(els['totp-status'], TEXT.copyFailed, 'error');
    };
    if (navigator.clipboard && typeof navigator.clipboard.writeText === 'function') {
      navigator.clipboard.writeText(text).then(done, failed);
    } else {
      failed();
    }
  }

  function handleRecoveryDone() {
    state.recoveryCodes = [];
    clearChildren(els['recovery-codes']);
    setStatusLine(els['totp-status'], '');
    switchTotpMode('on', els['totp-heading']);
  }

  function handleTotpDisable(event) {
    var input = els['totp-disable-code'];
    var button = els['totp-disable-button'];
    submitTotpCode(event, els['totp-disable-form'], button, input, 'Turning off…', API.totpDisable, function (result) {
      input.value = '';
      if (!result.ok) {
        totpError(errorMessage(result), input);
        return;
      }
      state.session.totpEnabled = false;
      setStatusLine(els['totp-status'], 'Two-step sign-in is off. Signing in now needs only your password.', 'ok');
      switchTotpMode('off', els['totp-heading']);
    });
  }

  /* ---------- access: shared helpers ---------- */

  function isCurrent(generation) {
    return generation === state.accessGeneration && Boolean(state.session);
  }

  function tableRow() {
    var row = document.createElement('tr');
    row.setAttribute('role', 'row');
    return row;
  }

  // The first cell names the row; on narrow screens it heads the row's card.
  function rowHeader(className, text) {
    var cell = element('th', className, text);
    cell.scope = 'row';
    cell.setAttribute('role', 'rowheader');
    return cell;
  }

  // data-label is shown before the value on narrow screens, where the column headers are hidden.
  function labelledCell(label, className, text) {
    var cell = element('td', className, text);
    cell.setAttribute('role', 'cell');
    cell.setAttribute('data-label', label);
    return cell;
  }

  function mutedText(text) {
    return element('span', 'detail-muted', text);
  }

  // A row per item, or one row saying emptyText when there are none.
  function fillRows(table, items, emptyText, makeRow) {
    if (!items.length) {
      fillEmptyRow(table, emptyText);
      return;
    }
    var body = table.tBodies[0];
    clearChildren(body);
    items.forEach(function (item) {
      body.appendChild(makeRow(item));
    });
  }

  function fillEmptyRow(table, text) {
    var body = table.tBodies[0];
    clearChildren(body);
    var row = tableRow();
    row.className = 'empty-row';
    var cell = element('td', '', text);
    cell.setAttribute('role', 'cell');
    cell.colSpan = table.tHead.rows[0].cells.length;
    row.appendChild(cell);
    body.appendChild(row);
  }

  function smallButton(text, className) {
    var button = element('button', 'button button-secondary button-small' + (className ? ' ' + className : ''), text);
    button.type = 'button';
    return button;
  }

  function statusBadge(table, status) {
    var known = Object.prototype.hasOwnProperty.call(table, status) ? table[status] : null;
    return known ? badge(known.kind, known.text) : badge('unknown', outcomeLabel(status));
  }

  function nextControlId(prefix) {
    state.controlSeq += 1;
    return prefix + '-' + state.controlSeq;
  }

  // A whole number in [min, max] from a number input, or null.
  function readWhole(input, min, max) {
    var text = input.value.trim();
    if (!/^\d+$/.test(text)) {
      return null;
    }
    var value = Number(text);
    return value >= min && value <= max ? value : null;
  }

  function pad2(value) {
    return (value < 10 ? '0' : '') + value;
  }

  // The value format of <input type="datetime-local">, in local time.
  function localInputValue(date) {
    return date.getFullYear() + '-' + pad2(date.getMonth() + 1) + '-' + pad2(date.getDate()) + 'T' +
      pad2(date.getHours()) + ':' + pad2(date.getMinutes());
  }

  // The server may answer with a path only (no site origin configured): show a link guests can open.
  function fullUrl(url) {
    try {
      var resolved = new URL(url, window.location.origin);
      return resolved.protocol === 'https:' || resolved.protocol === 'http:' ? resolved.href : '';
    } catch (e) {
      return '';
    }
  }

  function selectContents(node) {
    var selection = window.getSelection ? window.getSelection() : null;
    if (!selection || !node) {
      return false;
    }
    var range = document.createRange();
    range.selectNodeContents(node);
    selection.removeAllRanges();
    selection.addRange(range);
    return true;
  }

  // Clipboard API first; where that's missing or refused, select the text so it can be copied by hand.
  function copyText(text, node, statusNode) {
    var done = function () {
      setStatusLine(statusNode, TEXT.linkCopied, 'ok');
    };
    var fallback = function () {
      var copied = false;
      if (selectContents(node)) {
        try {
          copied = document.execCommand('copy');
        } catch (e) {
          copied = false;
        }
      }
      if (copied) {
        done();
      } else {
        setStatusLine(statusNode, TEXT.linkCopyManual);
      }
    };
    if (navigator.clipboard && typeof navigator.clipboard.writeText === 'function') {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  }

  /* ---------- access: invite links ---------- */

  function normalizeLink(item) {
    var code = asText(item.code);
    return {
      code: code,
      url: fullUrl(asText(item.url) || '/j/' + encodeURIComponent(code)),
      tierId: asText(item.tierId),
      tierName: asText(item.tierName) || asText(item.tierId) || '–',
      maxUses: toCount(item.maxUses),
      uses: toCount(item.uses),
      expiresAt: item.expiresAt,
      accessDays: toCount(item.accessDays),
      note: asText(item.note),
      status: asText(item.status)
    };
  }

  function readLinks(body) {
    if (!isPlainObject(body) || !Array.isArray(body.items)) {
      return null;
    }
    return body.items.filter(function (item) {
      return isPlainObject(item) && asText(item.code);
    }).map(normalizeLink);
  }

  function linkCodeCell(link) {
    var cell = rowHeader('cell-code');
    cell.appendChild(element('span', 'link-code', link.code));
    var url = element('span', 'link-url', link.url);
    cell.appendChild(url);
    var copy = element('button', 'link-button copy-link', 'Copy link');
    copy.type = 'button';
    copy.setAttribute('data-copy', link.url);
    copy.setAttribute('aria-label', 'Copy link ' + link.code);
    cell.appendChild(copy);
    return cell;
  }

  function inviteLinkRow(link) {
    var row = tableRow();
    row.appendChild(linkCodeCell(link));
    row.appendChild(labelledCell('Tier', '', link.tierName));
    var uses = formatNumber(link.uses) + ' / ' + (link.maxUses ? formatNumber(link.maxUses) : '∞');
    var usesCell = labelledCell('Uses', 'cell-number', uses);
    if (!link.maxUses) {
      usesCell.title = 'No use limit';
    }
    row.appendChild(usesCell);

    var expiresCell = labelledCell('Expires', 'cell-expires');
    var expires = parseTime(link.expiresAt);
    if (expires) {
      var time = element('time', '', formatWith(longDateTime, expires));
      time.dateTime = link.expiresAt;
      expiresCell.appendChild(time);
    } else {
      expiresCell.textContent = 'Never';
    }
    row.appendChild(expiresCell);

    row.appendChild(labelledCell('Access', '', link.accessDays ? plural(link.accessDays, 'day', 'days') : 'Permanent'));
    // Left empty when there's no note, so narrow screens skip it.
    row.appendChild(labelledCell('Note', 'cell-note cell-wide', link.note));

    var statusCell = labelledCell('Status', 'cell-status');
    statusCell.appendChild(statusBadge(LINK_STATUS, link.status));
    row.appendChild(statusCell);

    var actions = element('td', 'cell-actions');
    actions.setAttribute('role', 'cell');
    var remove = smallButton('Delete', 'button-danger');
    remove.setAttribute('data-code', link.code);
    remove.setAttribute('aria-label', 'Delete invite link ' + link.code);
    actions.appendChild(remove);
    row.appendChild(actions);
    return row;
  }

  function renderInviteLinks() {
    var emptyText = state.inviteLinksLoaded ? TEXT.noInviteLinks : TEXT.listLoading;
    fillRows(els['invite-links-table'], state.inviteLinks, emptyText, inviteLinkRow);
  }

  function renderCodeRequired() {
    var info = state.codeRequired;
    var box = els['code-required'];
    box.checked = Boolean(info && (info.required || info.globalCodeSet));
    box.disabled = !info || info.globalCodeSet;
    els['code-required-note'].textContent = !info ? '' : info.globalCodeSet ? TEXT.codeAlwaysOn : TEXT.codeRequiredHelp;
  }

  function loadInviteLinks(quiet) {
    var generation = state.accessGeneration;
    els['invite-links-retry-row'].hidden = true;
    return adminRequest('GET', API.inviteLinks).then(function (result) {
      if (result.sessionEnded || !isCurrent(generation)) {
        return;
      }
      var links = result.ok ? readLinks(result.body) : null;
      if (!links) {
        setStatusLine(els['invite-links-status'], "Couldn't load the invite links. " +
          (result.ok ? TEXT.serverProblem : errorMessage(result)), 'error');
        els['invite-links-retry-row'].hidden = false;
        return;
      }
      if (!quiet) {
        setStatusLine(els['invite-links-status'], '');
      }
      state.inviteLinks = links;
      state.inviteLinksLoaded = true;
      state.codeRequired = {
        required: result.body.codeRequired === true,
        globalCodeSet: result.body.globalCodeSet === true
      };
      renderInviteLinks();
      renderCodeRequired();
      renderInviteCodeState(state.codeRequired.required || state.codeRequired.globalCodeSet);
    });
  }

  function handleCodeRequiredChange() {
    var box = els['code-required'];
    if (!state.codeRequired || state.codeRequired.globalCodeSet) {
      renderCodeRequired();
      return;
    }
    var wanted = box.checked;
    var generation = state.accessGeneration;
    setStatusLine(els['invite-links-status'], 'Saving…');
    var unlock = lockControls([box], null, '', box);
    adminRequest('PUT', API.codeRequired, { required: wanted }).then(function (result) {
      unlock();
      if (result.sessionEnded || !isCurrent(generation)) {
        return;
      }
      if (!result.ok || typeof result.body.codeRequired !== 'boolean') {
        renderCodeRequired();
        setStatusLine(els['invite-links-status'], "Couldn't change the invite code setting. " +
          (result.ok ? TEXT.serverProblem : errorMessage(result)), 'error');
        return;
      }
      state.codeRequired.required = result.body.codeRequired;
      renderCodeRequired();
      renderInviteCodeState(result.body.codeRequired);
      setStatusLine(els['invite-links-status'], result.body.codeRequired ?
        'Saved. Guests now need an invite code.' :
        'Saved. Guests no longer need an invite code.', 'ok');
    });
  }

  function linkFormError(message, id) {
    setStatusLine(els['invite-links-status'], message, 'error');
    if (id && els[id]) {
      setInvalid(els[id], true);
      els[id].focus();
    }
  }

  function buildLinkPayload() {
    var code = els['link-code'].value.trim();
    if (code && !CHOSEN_CODE.test(code)) {
      return { problem: TEXT.codeInvalid, input: 'link-code' };
    }
    var maxUses = readWhole(els['link-max-uses'], 0, MAX_USES);
    if (maxUses === null) {
      return { problem: TEXT.usesInvalid, input: 'link-max-uses' };
    }
    var expiresAt = null;
    var expiresInput = els['link-expires'];
    if (expiresInput.value || (expiresInput.validity && expiresInput.validity.badInput)) {
      var expires = new Date(expiresInput.value);
      if (!expiresInput.value || isNaN(expires.getTime())) {
        return { problem: TEXT.expiryInvalid, input: 'link-expires' };
      }
      if (expires.getTime() <= Date.now()) {
        return { problem: TEXT.expiryPast, input: 'link-expires' };
      }
      expiresAt = expires.toISOString();
    }
    var accessDays = readWhole(els['link-access-days'], 0, MAX_ACCESS_DAYS);
    if (accessDays === null) {
      return { problem: TEXT.accessDaysInvalid, input: 'link-access-days' };
    }
    var payload = {
      tierId: els['link-tier'].value || DEFAULT_TIER_ID,
      maxUses: maxUses,
      expiresAt: expiresAt,
      accessDays: accessDays,
      note: els['link-note'].value.trim()
    };
    if (code) {
      payload.code = code;
    }
    return { payload: payload };
  }

  function clearLinkFormInvalid() {
    Object.keys(LINK_FIELD_INPUTS).forEach(function (key) {
      setInvalid(els[LINK_FIELD_INPUTS[key]], false);
    });
  }

  function resetLinkForm() {
    els['link-code'].value = '';
    els['link-max-uses'].value = '1';
    els['link-expires'].value = '';
    els['link-access-days'].value = '0';
    els['link-note'].value = '';
    clearLinkFormInvalid();
    refreshExpiryMin();
  }

  function refreshExpiryMin() {
    els['link-expires'].min = localInputValue(new Date());
  }

  function showNewLink(link) {
    state.newLinkCode = link.code;
    els['new-link-url'].textContent = link.url;
    els['new-link'].hidden = false;
  }

  function hideNewLink() {
    state.newLinkCode = '';
    els['new-link-url'].textContent = '';
    els['new-link'].hidden = true;
  }

  function handleLinkSubmit(event) {
    event.preventDefault();
    var button = els['create-link-button'];
    if (button.disabled) {
      return;
    }
    clearLinkFormInvalid();
    var built = buildLinkPayload();
    if (built.problem) {
      linkFormError(built.problem, built.input);
      return;
    }
    var generation = state.accessGeneration;
    setStatusLine(els['invite-links-status'], 'Creating the link…');
    var unlock = lockControls(formControls(els['invite-link-form']), button, 'Creating…');
    adminRequest('POST', API.inviteLinks, built.payload).then(function (result) {
      unlock();
      if (result.sessionEnded || !isCurrent(generation)) {
        return;
      }
      var link = result.ok && asText(result.body.code) ? normalizeLink(result.body) : null;
      if (!link) {
        var code = errorCode(result);
        var field = result.error && typeof result.error.field === 'string' ? result.error.field : '';
        var input = LINK_FIELD_INPUTS[field] || LINK_ERROR_INPUTS[code] || '';
        linkFormError("Couldn't create the link. " + (result.ok ? TEXT.serverProblem : errorMessage(result)), input);
        if (code === 'unknown_tier') {
          loadTiers(true);
        }
        return;
      }
      resetLinkForm();
      showNewLink(link);
      setStatusLine(els['invite-links-status'], 'Created invite link ' + link.code + '.', 'ok');
      els['copy-new-link'].focus();
      loadInviteLinks(true);
    });
  }

  function handleCopyNewLink() {
    copyText(els['new-link-url'].textContent, els['new-link-url'], els['invite-links-status']);
  }

  function deleteInviteLink(button) {
    var code = button.getAttribute('data-code');
    if (!code || !window.confirm('Delete the invite link ' + code + '? Anyone who has it can no longer use it.')) {
      return;
    }
    var generation = state.accessGeneration;
    setStatusLine(els['invite-links-status'], 'Deleting ' + code + '…');
    var unlock = lockControls([button], button, 'Deleting…');
    adminRequest('DELETE', API.inviteLinks + '/' + encodeURIComponent(code), {}).then(function (result) {
      unlock();
      if (result.sessionEnded || !isCurrent(generation)) {
        return;
      }
      if (!result.ok) {
        setStatusLine(els['invite-links-status'], "Couldn't delete the link. " + errorMessage(result), 'error');
        return;
      }
      state.inviteLinks = state.inviteLinks.filter(function (link) {
        return link.code !== code;
      });
      if (state.newLinkCode === code) {
        hideNewLink();
      }
      renderInviteLinks();
      setStatusLine(els['invite-links-status'], 'Deleted invite link ' + code + '.', 'ok');
      els['invite-links-list-heading'].focus();
    });
  }

  function handleInviteLinksClick(event) {
    var button = event.target.closest('button');
    if (!button || button.disabled || !els['invite-links-table'].contains(button)) {
      return;
    }
    if (button.hasAttribute('data-copy')) {
      copyText(button.getAttribute('data-copy'), button.parentNode.querySelector('.link-url'), els['invite-links-status']);
    } else if (button.hasAttribute('data-code')) {
      deleteInviteLink(button);
    }
  }

  /* ---------- access: tiers ---------- */

  function normalizeTier(item) {
    var id = asText(item.id);
    return {
      id: id,
      name: asText(item.name) || id,
      sectionIds: Array.isArray(item.sectionIds) ? item.sectionIds.filter(function (value) {
        return typeof value === 'number' || typeof value === 'string';
      }) : [],
      allowSync: item.allowSync === true,
      allowCameraUpload: item.allowCameraUpload === true,
      allowChannels: item.allowChannels === true,
      isDefault: item.isDefault === true || id === DEFAULT_TIER_ID
    };
  }

  function findTier(id) {
    for (var i = 0; i < state.tiers.length; i += 1) {
      if (state.tiers[i].id === id) {
        return state.tiers[i];
      }
    }
    return null;
  }

  function libraryItems() {
    return state.libraries ? state.libraries.items : [];
  }

  function libraryTitle(id) {
    var items = libraryItems();
    for (var i = 0; i < items.length; i += 1) {
      if (String(items[i].id) === String(id)) {
        return items[i].title;
      }
    }
    return 'Library ' + id;
  }

  function pillList(titles) {
    var list = element('ul', 'library-list compact-list');
    titles.forEach(function (title) {
      list.appendChild(element('li', '', title));
    });
    return list;
  }

  function tierRow(tier) {
    var row = tableRow();
    row.setAttribute('data-tier-id', tier.id);
    row.appendChild(rowHeader('cell-name', tier.name));

    var libraries = labelledCell('Libraries', 'cell-wide');
    if (tier.isDefault) {
      libraries.appendChild(element('p', 'cell-note-text', TEXT.tierDefaultLibraries +
        (state.libraries && state.libraries.items.length ? ':' : '.')));
      if (state.libraries && state.libraries.items.length) {
        libraries.appendChild(pillList(sharedTitles(state.libraries)));
      }
    } else if (tier.sectionIds.length) {
      libraries.appendChild(pillList(tier.sectionIds.map(libraryTitle)));
    } else {
      libraries.appendChild(mutedText('No libraries'));
    }
    row.appendChild(libraries);

    var permissions = labelledCell('Permissions', 'cell-wide');
    var allowed = PERMISSIONS.filter(function (permission) {
      return tier[permission.key];
    });
    if (allowed.length) {
      var list = element('ul', 'badge-list');
      allowed.forEach(function (permission) {
        var item = element('li');
        item.appendChild(badge('neutral', permission.label));
        list.appendChild(item);
      });
      permissions.appendChild(list);
    } else {
      permissions.appendChild(mutedText(TEXT.noPermissions));
    }
    row.appendChild(permissions);

    var actions = element('td', 'cell-actions cell-wide');
    actions.setAttribute('role', 'cell');
    if (!tier.isDefault) {
      var group = element('div', 'row-actions no-wrap');
      var edit = smallButton('Edit');
      edit.setAttribute('data-tier-action', 'edit');
      edit.setAttribute('data-tier-id', tier.id);
      edit.setAttribute('aria-label', 'Edit tier ' + tier.name);
      var remove = smallButton('Delete', 'button-danger');
      remove.setAttribute('data-tier-action', 'delete');
      remove.setAttribute('data-tier-id', tier.id);
      remove.setAttribute('aria-label', 'Delete tier ' + tier.name);
      group.appendChild(edit);
      group.appendChild(remove);
      actions.appendChild(group);
    }
    row.appendChild(actions);
    return row;
  }

  function renderTiers() {
    fillRows(els['tiers-table'], state.tiers, state.tiersLoaded ? TEXT.noTiers : TEXT.listLoading, tierRow);
  }

  // The invite form's tier choice; keeps what was picked when the list reloads.
  function renderTierSelect() {
    var select = els['link-tier'];
    var previous = select.value || DEFAULT_TIER_ID;
    clearChildren(select);
    var tiers = state.tiers.length ? state.tiers : [{ id: DEFAULT_TIER_ID, name: 'Default' }];
    tiers.forEach(function (tier) {
      var option = element('option', '', tier.name);
      option.value = tier.id;
      select.appendChild(option);
    });
    select.value = previous;
    if (select.value !== previous) {
      select.value = tiers[0].id;
    }
  }

  function checkedTierLibraryValues() {
    var values = {};
    Array.prototype.forEach.call(els['tier-library-options'].querySelectorAll('input[name="tier-library"]:checked'), function (box) {
      values[box.value] = true;
    });
    return values;
  }

  function renderTierLibraryOptions() {
    var list = els['tier-library-options'];
    var checked = checkedTierLibraryValues();
    var disabled = els['save-tier-button'].getAttribute('aria-busy') === 'true';
    clearChildren(list);
    var items = libraryItems();
    items.forEach(function (library) {
      list.appendChild(libraryOption(library, 'tier-library', Boolean(checked[String(library.id)]), disabled));
    });
    els['tier-libraries-note'].textContent = state.libraries && !items.length ? TEXT.tierNoLibraries : '';
  }

  function loadTiers(quiet) {
    var generation = state.accessGeneration;
    els['tiers-retry-row'].hidden = true;
    return adminRequest('GET', API.tiers).then(function (result) {
      if (result.sessionEnded || !isCurrent(generation)) {
        return;
      }
      var items = result.ok && Array.isArray(result.body.items) ? result.body.items.filter(function (item) {
        return isPlainObject(item) && asText(item.id);
      }).map(normalizeTier) : null;
      if (!items) {
        setStatusLine(els['tiers-status'], "Couldn't load the tiers. " +
          (result.ok ? TEXT.serverProblem : errorMessage(result)), 'error');
        els['tiers-retry-row'].hidden = false;
        return;
      }
      if (!quiet) {
        setStatusLine(els['tiers-status'], '');
      }
      state.tiers = items;
      state.tiersLoaded = true;
      renderTiers();
      renderTierSelect();
      // The users' "change tier" choices come from this list too.
      if (state.usersLoaded) {
        renderUsers();
      }
    });
  }

  function setTierFormMode(tier) {
    state.editingTierId = tier ? tier.id : '';
    els['tier-form-heading'].textContent = tier ? 'Edit tier “' + tier.name + '”' : 'New tier';
    els['save-tier-button'].textContent = tier ? 'Save tier' : 'Create tier';
    els['cancel-tier-edit'].hidden = !tier;
  }

  function resetTierForm() {
    els['tier-name'].value = '';
    Array.prototype.forEach.call(els['tier-library-options'].querySelectorAll('input[name="tier-library"]'), function (box) {
      box.checked = false;
    });
    PERMISSIONS.forEach(function (permission) {
      els[permission.input].checked = false;
    });
    setInvalid(els['tier-name'], false);
    setTierFormMode(null);
  }

  function editTier(tier) {
    resetTierForm();
    var wanted = {};
    tier.sectionIds.forEach(function (id) {
      wanted[String(id)] = true;
    });
    els['tier-name'].value = tier.name;
    Array.prototype.forEach.call(els['tier-library-options'].querySelectorAll('input[name="tier-library"]'), function (box) {
      box.checked = Boolean(wanted[box.value]);
    });
    PERMISSIONS.forEach(function (permission) {
      els[permission.input].checked = tier[permission.key];
    });
    setTierFormMode(tier);
    setStatusLine(els['tiers-status'], '');
    els['tier-name'].focus();
  }

  function tierError(message, input) {
    setStatusLine(els['tiers-status'], message, 'error');
    if (input) {
      if (input === els['tier-name']) {
        setInvalid(input, true);
      }
      input.focus();
    }
  }

  function chosenSectionIds() {
    var wanted = checkedTierLibraryValues();
    return libraryItems().filter(function (library) {
      return wanted[String(library.id)];
    }).map(function (library) {
      return typeof library.id === 'number' ? library.id : Number(library.id);
    }).filter(function (id) {
      return isFinite(id);
    });
  }

  function focusTierButton(tierId, action, fallback) {
    var button = els['tiers-table'].querySelector('button[data-tier-action="' + action + '"][data-tier-id="' +
      (window.CSS && CSS.escape ? CSS.escape(tierId) : tierId) + '"]');
    (button || fallback).focus();
  }

  function handleTierSubmit(event) {
    event.preventDefault();
    var button = els['save-tier-button'];
    if (button.disabled) {
      return;
    }
    setInvalid(els['tier-name'], false);
    var name = els['tier-name'].value.replace(/\s+/g, ' ').trim();
    if (!name) {
      tierError(TEXT.tierNameRequired, els['tier-name']);
      return;
    }
    var sectionIds = chosenSectionIds();
    if (!sectionIds.length) {
      tierError(libraryItems().length ? TEXT.tierLibrariesRequired : TEXT.tierNoLibraries,
        els['tier-library-options'].querySelector('input'));
      return;
    }
    var payload = { name: name, sectionIds: sectionIds };
    PERMISSIONS.forEach(function (permission) {
      payload[permission.key] = els[permission.input].checked;
    });
    var editingId = state.editingTierId;
    var url = editingId ? API.tiers + '/' + encodeURIComponent(editingId) : API.tiers;
    var generation = state.accessGeneration;
    setStatusLine(els['tiers-status'], 'Saving the tier…');
    var unlock = lockControls(formControls(els['tier-form']), button, 'Saving…');
    adminRequest(editingId ? 'PUT' : 'POST', url, payload).then(function (result) {
      unlock();
      if (result.sessionEnded || !isCurrent(generation)) {
        return;
      }
      var saved = result.ok && asText(result.body.id) ? normalizeTier(result.body) : null;
      if (!saved) {
        var code = errorCode(result);
        var message = "Couldn't save the tier. " + (result.ok ? TEXT.serverProblem : errorMessage(result));
        if (code === 'invalid_tier_name') {
          tierError(message, els['tier-name']);
        } else if (code === 'no_libraries_selected' || code === 'unknown_library') {
          tierError(message, els['tier-library-options'].querySelector('input'));
        } else if (code === 'unknown_tier') {
          resetTierForm();
          tierError(message, els['tier-name']);
          loadTiers(true);
        } else {
          tierError(message);
        }
        return;
      }
      resetTierForm();
      setStatusLine(els['tiers-status'], (editingId ? 'Saved the tier “' : 'Created the tier “') + saved.name + '”.', 'ok');
      loadTiers(true).then(function () {
        if (editingId) {
          focusTierButton(saved.id, 'edit', els['tiers-heading']);
        }
      });
      if (editingId) {
        // Invite links show tier names.
        loadInviteLinks(true);
      }
    });
  }

  function handleTierCancel() {
    var editingId = state.editingTierId;
    resetTierForm();
    setStatusLine(els['tiers-status'], '');
    focusTierButton(editingId, 'edit', els['tier-name']);
  }

  function deleteTier(tier, button) {
    if (!window.confirm('Delete the tier “' + tier.name + '”? This can\'t be undone.')) {
      return;
    }
    var generation = state.accessGeneration;
    setStatusLine(els['tiers-status'], 'Deleting the tier…');
    var unlock = lockControls([button], button, 'Deleting…');
    adminRequest('DELETE', API.tiers + '/' + encodeURIComponent(tier.id), {}).then(function (result) {
      unlock();
      if (result.sessionEnded || !isCurrent(generation)) {
        return;
      }
      if (!result.ok) {
        setStatusLine(els['tiers-status'], "Couldn't delete the tier. " + errorMessage(result), 'error');
        return;
      }
      if (state.editingTierId === tier.id) {
        resetTierForm();
      }
      state.tiers = state.tiers.filter(function (entry) {
        return entry.id !== tier.id;
      });
      renderTiers();
      renderTierSelect();
      setStatusLine(els['tiers-status'], 'Deleted the tier “' + tier.name + '”.', 'ok');
      els['tiers-heading'].focus();
      loadTiers(true);
      loadInviteLinks(true);
    });
  }

  function handleTiersClick(event) {
    var button = event.target.closest('button[data-tier-action]');
    if (!button || button.disabled || !els['tiers-table'].contains(button)) {
      return;
    }
    var tier = findTier(button.getAttribute('data-tier-id'));
    if (!tier || tier.isDefault) {
      return;
    }
    if (button.getAttribute('data-tier-action') === 'edit') {
      editTier(tier);
    } else {
      deleteTier(tier, button);
    }
  }

  /* ---------- access: users ---------- */

  function normalizeUser(item) {
    return {
      identifier: item.identifier,
      tierId: asText(item.tierId),
      tierName: asText(item.tierName),
      inviteCode: asText(item.inviteCode),
      grantedAt: item.grantedAt,
      expiresAt: item.expiresAt,
      status: asText(item.status),
      removedAt: item.removedAt,
      removalNote: asText(item.removalNote),
      plexStatus: asText(item.plexStatus)
    };
  }

  function findUser(identifier) {
    for (var i = 0; i < state.users.length; i += 1) {
      if (state.users[i].identifier === identifier) {
        return state.users[i];
      }
    }
    return null;
  }

  function tierName(id) {
    var tier = findTier(id);
    return tier ? tier.name : id;
  }

  function timeNode(value, prefix) {
    var date = parseTime(value);
    var wrapper = element('span', '', prefix);
    if (date) {
      var time = element('time', '', formatWith(longDateTime, date));
      time.dateTime = value;
      wrapper.appendChild(time);
    }
    return wrapper;
  }

  function accessCell(user) {
    var cell = labelledCell('Access', 'cell-access cell-wide');
    cell.appendChild(statusBadge(USER_STATUS, user.status));
    var detail = element('span', 'access-detail');
    if (user.status === 'active') {
      detail.appendChild(parseTime(user.expiresAt) ? timeNode(user.expiresAt, 'until ') : document.createTextNode('no end date'));
    } else if (parseTime(user.removedAt)) {
      detail.appendChild(timeNode(user.removedAt, 'on '));
    }
    if (detail.firstChild) {
      // A real space, so the badge and its detail aren't read as one word.
      cell.appendChild(document.createTextNode(' '));
      cell.appendChild(detail);
    }
    if (user.status !== 'active' && user.removalNote) {
      cell.appendChild(element('span', 'access-detail detail-muted', cleanMessage(user.removalNote)));
    }
    return cell;
  }

  function tierSelect(user, id) {
    var select = element('select', 'select-small user-tier-select');
    select.id = id;
    var tiers = state.tiers.length ? state.tiers : [{ id: user.tierId, name: user.tierName || user.tierId }];
    var known = false;
    tiers.forEach(function (tier) {
      var option = element('option', '', tier.name);
      option.value = tier.id;
      option.selected = tier.id === user.tierId;
      known = known || option.selected;
      select.appendChild(option);
    });
    if (!known) {
      var current = element('option', '', user.tierName || user.tierId);
      current.value = user.tierId;
      current.selected = true;
      select.insertBefore(current, select.firstChild);
    }
    return select;
  }

  function userActions(user) {
    var cell = element('td', 'cell-actions cell-wide');
    cell.setAttribute('role', 'cell');
    if (user.status !== 'active') {
      return cell;
    }
    var who = user.identifier;
    var group = element('div', 'row-actions');

    var tierGroup = element('div', 'action-group');
    var selectId = nextControlId('user-tier');
    var tierLabel = element('label', 'visually-hidden', 'Tier for ' + who);
    tierLabel.htmlFor = selectId;
    tierGroup.appendChild(tierLabel);
    tierGroup.appendChild(tierSelect(user, selectId));
    var change = smallButton('Change tier');
    change.setAttribute('data-action', 'tier');
    change.setAttribute('aria-label', 'Change tier for ' + who);
    tierGroup.appendChild(change);
    group.appendChild(tierGroup);

    var extendGroup = element('div', 'action-group');
    var daysId = nextControlId('user-days');
    var daysLabel = element('label', 'visually-hidden', 'Days to add to the access of ' + who);
    daysLabel.htmlFor = daysId;
    extendGroup.appendChild(daysLabel);
    var days = element('input', 'input-small user-extend-days');
    days.id = daysId;
    days.type = 'number';
    days.min = '1';
    days.max = String(MAX_ACCESS_DAYS);
    days.step = '1';
    days.value = String(DEFAULT_EXTEND_DAYS);
    days.inputMode = 'numeric';
    extendGroup.appendChild(days);
    extendGroup.appendChild(element('span', 'unit', 'days'));
    var extend = smallButton('Extend');
    extend.setAttribute('data-action', 'extend');
    extend.setAttribute('aria-label', 'Extend access for ' + who);
    extendGroup.appendChild(extend);
    group.appendChild(extendGroup);

    var revoke = smallButton('Revoke', 'button-danger');
    revoke.setAttribute('data-action', 'revoke');
    revoke.setAttribute('aria-label', 'Revoke access for ' + who);
    group.appendChild(revoke);

    cell.appendChild(group);
    return cell;
  }

  function userRow(user) {
    var row = tableRow();
    row.setAttribute('data-identifier', user.identifier);
    row.appendChild(rowHeader('cell-who', user.identifier));
    row.appendChild(labelledCell('Tier', '', user.tierName || tierName(user.tierId) || '–'));
    var inviteCell = labelledCell('Invite', 'cell-invite');
    if (user.inviteCode) {
      inviteCell.appendChild(element('span', 'link-code', user.inviteCode));
    } else {
      inviteCell.textContent = '—';
    }
    row.appendChild(inviteCell);
    var plexCell = labelledCell('Plex status', 'cell-plex');
    if (user.status === 'active' && Object.prototype.hasOwnProperty.call(PLEX_STATUS, user.plexStatus)) {
      plexCell.appendChild(statusBadge(PLEX_STATUS, user.plexStatus));
    }
    row.appendChild(plexCell);
    row.appendChild(accessCell(user));
    row.appendChild(userActions(user));
    return row;
  }

  function renderUsers() {
    var table = els['users-table'];
    if (!state.users.length && !state.usersLoaded) {
      clearChildren(table.tBodies[0]);
      return;
    }
    fillRows(table, state.users, TEXT.noUsers, userRow);
  }

  function setUsersRefreshBusy(busy) {
    var button = els['refresh-users'];
    button.disabled = busy;
    button.textContent = busy ? 'Refreshing…' : 'Refresh';
    if (busy) {
      button.setAttribute('aria-busy', 'true');
    } else {
      button.removeAttribute('aria-busy');
    }
  }

  function loadUsers(moveFocus) {
    if (state.usersLoading) {
      return;
    }
    var generation = state.accessGeneration;
    state.usersLoading = true;
    setUsersRefreshBusy(true);
    setStatusLine(els['users-status'], TEXT.usersLoading);
    adminRequest('GET', API.users, null, PLEX_TIMEOUT_MS).then(function (result) {
      if (result.sessionEnded || !isCurrent(generation)) {
        return;
      }
      state.usersLoading = false;
      setUsersRefreshBusy(false);
      var items = result.ok && Array.isArray(result.body.items) ? result.body.items.filter(function (item) {
        return isPlainObject(item) && typeof item.identifier === 'string' && item.identifier;
      }).map(normalizeUser) : null;
      if (!items) {
        setStatusLine(els['users-status'], "Couldn't load the users. " +
          (result.ok ? TEXT.serverProblem : errorMessage(result)), 'error');
      } else {
        state.users = items;
        state.usersLoaded = true;
        renderUsers();
        var plexError = cleanMessage(result.body.plexError);
        if (plexError) {
          setStatusLine(els['users-status'], TEXT.usersPlexUnknown + ' ' + plexError, 'error');
        } else {
          setStatusLine(els['users-status'], moveFocus ? 'Users list updated: ' + plural(items.length, 'person', 'people') + '.' : '',
            moveFocus ? 'ok' : '');
        }
      }
      if (moveFocus && document.activeElement === document.body) {
        els['refresh-users'].focus();
      }
    });
  }

  // The answer to revoke/change is the grant only: keep the tier name and Plex status we know.
  function mergeUser(user, body) {
    var updated = normalizeUser(Object.assign({ identifier: user.identifier }, body));
    updated.identifier = user.identifier;
    updated.tierName = updated.tierId === user.tierId ? user.tierName : tierName(updated.tierId);
    updated.plexStatus = updated.status === 'active' ? user.plexStatus : '';
    return updated;
  }

  function replaceUser(updated) {
    state.users = state.users.map(function (user) {
      return user.identifier === updated.identifier ? updated : user;
    });
    var rows = els['users-table'].tBodies[0].rows;
    for (var i = 0; i < rows.length; i += 1) {
      if (rows[i].getAttribute('data-identifier') === updated.identifier) {
        var row = userRow(updated);
        rows[i].parentNode.replaceChild(row, rows[i]);
        return row;
      }
    }
    return null;
  }

  function buildUserChange(action, row, user) {
    var who = user.identifier;
    if (action === 'revoke') {
      if (!window.confirm('Revoke access for ' + who + '? Their share on Plex is removed right away.')) {
        return null;
      }
      return { method: 'POST', path: '/revoke', payload: {}, busy: 'Revoking…', doing: 'Revoking access for ' + who + '…' };
    }
    if (action === 'tier') {
      var select = row.querySelector('select.user-tier-select');
      if (!select || !select.value) {
        return null;
      }
      if (select.value === user.tierId) {
        return { problem: who + ' is already on that tier.', input: select };
      }
      return {
        method: 'PATCH', path: '', payload: { tierId: select.value }, busy: 'Changing…',
        doing: 'Moving ' + who + ' to the tier “' + tierName(select.value) + '”…'
      };
    }
    if (action === 'extend') {
      var input = row.querySelector('input.user-extend-days');
      var days = input ? readWhole(input, 1, MAX_ACCESS_DAYS) : null;
      if (days === null) {
        return { problem: TEXT.extendDaysInvalid, input: input, invalid: true };
      }
      return {
        method: 'PATCH', path: '', payload: { extendDays: days }, busy: 'Extending…',
        doing: 'Extending access for ' + who + ' by ' + plural(days, 'day', 'days') + '…'
      };
    }
    return null;
  }

  function userChangeDone(action, user) {
    if (action === 'revoke') {
      return 'Revoked access for ' + user.identifier + '.';
    }
    if (action === 'tier') {
      return user.identifier + ' is now on the tier “' + (user.tierName || user.tierId) + '”.';
    }
    var until = formatDateTime(user.expiresAt);
    return 'Extended access for ' + user.identifier + (until ? ' until ' + until : '') + '.';
  }

  function handleUsersClick(event) {
    var button = event.target.closest('button[data-action]');
    if (!button || button.disabled || !els['users-table'].contains(button)) {
      return;
    }
    var row = button.closest('tr');
    var user = row ? findUser(row.getAttribute('data-identifier')) : null;
    if (!user) {
      return;
    }
    var action = button.getAttribute('data-action');
    var change = buildUserChange(action, row, user);
    if (!change) {
      return;
    }
    if (change.problem) {
      setStatusLine(els['users-status'], change.problem, change.invalid ? 'error' : '');
      if (change.input) {
        setInvalid(change.input, Boolean(change.invalid));
        change.input.focus();
      }
      return;
    }
    var generation = state.accessGeneration;
    setStatusLine(els['users-status'], change.doing);
    var controls = Array.prototype.slice.call(row.querySelectorAll('button, select, input'));
    var unlock = lockControls(controls, button, change.busy);
    var url = API.users + '/' + encodeURIComponent(user.identifier) + change.path;
    adminRequest(change.method, url, change.payload, PLEX_TIMEOUT_MS).then(function (result) {
      unlock();
      if (result.sessionEnded || !isCurrent(generation)) {
        return;
      }
      if (!result.ok || !asText(result.body.status)) {
        setStatusLine(els['users-status'], "Couldn't change " + user.identifier + '. ' +
          (result.ok ? TEXT.serverProblem : errorMessage(result)), 'error');
        return;
      }
      var updated = mergeUser(user, result.body);
      var newRow = replaceUser(updated);
      setStatusLine(els['users-status'], userChangeDone(action, updated), 'ok');
      if (!newRow) {
        return;
      }
      var again = newRow.querySelector('button[data-action="' + action + '"]');
      if (again) {
        again.focus();
      } else {
        var header = newRow.querySelector('th');
        header.tabIndex = -1;
        header.focus();
      }
    });
  }

  /* ---------- access: start and reset ---------- */

  function loadAccess() {
    refreshExpiryMin();
    loadTiers(false);
    loadInviteLinks(false);
    loadUsers(false);
  }

  function resetAccess() {
    state.accessGeneration += 1;
    state.codeRequired = null;
    state.inviteLinks = [];
    state.inviteLinksLoaded = false;
    state.tiers = [];
    state.tiersLoaded = false;
    state.users = [];
    state.usersLoaded = false;
    state.usersLoading = false;
    setUsersRefreshBusy(false);
    hideNewLink();
    resetLinkForm();
    resetTierForm();
    renderCodeRequired();
    renderInviteLinks();
    renderTiers();
    renderTierSelect();
    renderTierLibraryOptions();
    renderUsers();
    ['invite-links-status', 'tiers-status', 'users-status'].forEach(function (id) {
      setStatusLine(els[id], '');
    });
    els['invite-links-retry-row'].hidden = true;
    els['tiers-retry-row'].hidden = true;
  }

  function initAccess() {
    ['invite-links-table', 'tiers-table', 'users-table'].forEach(function (id) {
      H.addTableRoles(els[id]);
    });
    els['code-required'].addEventListener('change', handleCodeRequiredChange);
    els['invite-link-form'].addEventListener('submit', handleLinkSubmit);
    els['invite-link-form'].addEventListener('input', handleInvalidInput);
    els['copy-new-link'].addEventListener('click', handleCopyNewLink);
    els['invite-links-table'].addEventListener('click', handleInviteLinksClick);
    els['invite-links-retry'].addEventListener('click', function () {
      setStatusLine(els['invite-links-status'], '');
      loadInviteLinks(false);
    });
    els['tier-form'].addEventListener('submit', handleTierSubmit);
    els['tier-form'].addEventListener('input', handleInvalidInput);
    els['tier-form'].addEventListener('change', function () {
      if (els['tiers-status'].classList.contains('is-error')) {
        setStatusLine(els['tiers-status'], '');
      }
    });
    els['cancel-tier-edit'].addEventListener('click', handleTierCancel);
    els['tiers-table'].addEventListener('click', handleTiersClick);
    els['tiers-retry'].addEventListener('click', function () {
      setStatusLine(els['tiers-status'], '');
      loadTiers(false);
    });
    els['refresh-users'].addEventListener('click', function () {
      loadUsers(true);
    });
    els['users-table'].addEventListener('click', handleUsersClick);
    els['users-table'].addEventListener('input', handleInvalidInput);
    resetAccess();
  }

  /* ---------- start ---------- */

  function checkSession() {
    setStatusLine(els['app-status'], TEXT.loading);
    request('GET', API.session).then(function (result) {
      var session = result.ok ? readSession(result.body) : null;
      if (session) {
        state.session = session;
        enterDashboard(false);
        return;
      }
      if (errorCode(result) === 'setup_required') {
        showSetup(cleanMessage(result.error.message));
        return;
      }
      if (result.status === 401) {
        showLogin('', false);
        return;
      }
      showLogin(result.ok ? TEXT.serverProblem : errorMessage(result), true);
    });
  }

  function init() {
    collectElements();
    if (!els['login-form'] || !els.dashboard) {
      return;
    }
    H.addTableRoles(els['recent-invites']);
    els['login-form'].addEventListener('submit', handleLoginSubmit);
    els['login-form'].addEventListener('input', handleInvalidInput);
    els['use-recovery-code'].addEventListener('click', handleRecoveryToggle);
    els['login-restart'].addEventListener('click', handleLoginRestart);
    els['logout-button'].addEventListener('click', handleLogout);
    els['logout-everywhere-button'].addEventListener('click', handleLogoutEverywhere);
    els['dashboard-retry'].addEventListener('click', function () {
      loadDashboard(false);
    });
    els['libraries-form'].addEventListener('submit', handleLibrariesSubmit);
    els['refresh-libraries'].addEventListener('click', handleLibrariesRefresh);
    els['library-options'].addEventListener('change', function () {
      if (els['libraries-status'].classList.contains('is-error')) {
        setStatusLine(els['libraries-status'], '');
      }
    });
    els['totp-setup-button'].addEventListener('click', handleTotpSetup);
    els['totp-confirm-form'].addEventListener('submit', handleTotpConfirm);
    els['totp-cancel-button'].addEventListener('click', handleTotpCancel);
    els['copy-recovery-codes'].addEventListener('click', handleCopyRecoveryCodes);
    els['recovery-done'].addEventListener('click', handleRecoveryDone);
    els['totp-disable-form'].addEventListener('submit', handleTotpDisable);
    els['totp-panel'] = byId('totp-panel');
    els['totp-panel'].addEventListener('input', handleInvalidInput);
    initAccess();
    watchChartSize();
    checkSession();
  }

  H.onReady(init);
}());
