/* Helpr guest page: loads the portal config, validates and submits the invite form. */
(function () {
  'use strict';

  var H = window.Helpr;
  var isPlainObject = H.isPlainObject;
  var cleanMessage = H.cleanMessage;
  var fetchWithTimeout = H.fetchWithTimeout;
  var isAbortError = H.isAbortError;
  var readJson = H.readJson;
  var errorObject = H.errorObject;
  var retryAfterSeconds = H.retryAfterSeconds;

  var CONFIG_URL = '/api/config';
  var INVITES_URL = '/api/invites';
  var SIGN_IN_URL = '/api/signin/plex';
  var SIGN_IN_COMPLETE_URL = '/api/signin/plex/complete';
  // After app.plex.tv sends the guest back, the PIN may take a moment to carry the token: ask a few times.
  var SIGN_IN_POLLS = 5;
  var SIGN_IN_POLL_MS = 1500;
  var CONFIG_TIMEOUT_MS = 10000;
  // Longer than the server's own Plex timeout so its answer normally wins.
  var INVITE_TIMEOUT_MS = 45000;

  var MAX_IDENTIFIER_LENGTH = 254;
  var MAX_USERNAME_LENGTH = 64;
  var MAX_INVITE_CODE_LENGTH = 128;

  // Mirrors shared/validation.py; the server stays authoritative.
  var USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
  var EMAIL_RE = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
  var CONTROL_CHARS_RE = buildControlCharsRegExp();

  var TEXT = Object.assign({}, H.TEXT, {
    defaultServerName: 'this Plex server',
    submitIdle: 'Send me an invite',
    submitBusy: 'Sending invite…',
    loadingConfig: 'Loading…',
    notSetUp: 'This portal is not set up yet.',
    unreachablePortal: "Can't reach the portal right now, try again in a minute.",
    badRequest: "That didn't work. Check what you entered and try again.",
    rateLimited: 'Too many attempts.',
    identifierRequired: 'Enter your Plex username or the email address of your Plex account.',
    invalidEmail: "That doesn't look like an email address. Check it for typos, e.g. name@example.com.",
    invalidUsername: 'A Plex username has 1 to 64 letters, digits, dots, underscores or hyphens and no spaces. ' +
      'You can also enter the email address of your Plex account.',
    inviteCodeRequired: 'Enter the invite code the server owner gave you.',
    inviteCodeTooLong: 'That invite code is too long. Copy it again from your invitation.',
    inviteCodeBadChars: "The invite code contains characters it can't have. Copy it again from your invitation.",
    invitedHeading: 'Invite sent!',
    invitedFallback: 'Your invite is on its way from Plex.',
    alreadyHeading: 'You already have access',
    alreadyFallback: 'Your Plex account already has access to this server.',
    signInIdle: 'Sign in with Plex',
    signInBusy: 'Opening Plex…',
    signInChecking: 'Checking your Plex sign-in…',
    signInAbandoned: "You didn't finish signing in with Plex, so nothing was shared. Press Sign in with Plex to try again.",
    signedInHeading: "You're in!",
    invitedNotAcceptedHeading: "You're invited"
  });

  var I18N = H.i18n;

  // The page's words in its language: every TEXT entry the catalog has replaces the English one.
  function localize() {
    Object.keys(TEXT).forEach(function (key) {
      var text = I18N.t(key);
      if (text !== key) {
        TEXT[key] = text;
      }
    });
    els['server-name'].textContent = TEXT.defaultServerName;
    I18N.fillWithNode(els['page-title'], 'title', 'server', els['server-name']);
    var link = els['next-steps'].querySelector('a');
    if (link) {
      I18N.fillWithNode(els['next-steps'], 'nextSteps', 'link', link);
    }
    document.title = I18N.t('title', { server: TEXT.defaultServerName }) + ' · Helpr';
    els['plex-button'].textContent = TEXT.signInIdle;
    els['submit-button'].textContent = TEXT.submitIdle;
  }

  var els = {};
  var state = {
    signInMode: 'typed',
    ready: false,
    submitting: false,
    inviteCodeShown: false
  };

  function buildControlCharsRegExp() {
    try {
      return new RegExp('\\p{C}', 'u');
    } catch (e) {
      return /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/;
    }
  }

  function collectElements() {
    H.collectById([
      'page-title', 'start-link', 'status-link', 'plex-sign-in', 'plex-button', 'plex-error', 'typed-divider', 'identifier-field', 'open-plex-wrap',
      'next-steps', 'next-steps-heading',
      'server-name', 'demo-notice', 'form-status', 'invite-form', 'identifier', 'identifier-error',
      'invite-code-field', 'invite-code', 'invite-code-error', 'form-error', 'submit-button',
      'invite-success', 'success-heading', 'success-message', 'success-libraries', 'library-list'
    ], els);
  }

  /* ---------- small helpers ---------- */

  function codePointLength(text) {
    return Array.from(text).length;
  }

  function normalize(text) {
    var value = String(text);
    if (typeof value.normalize === 'function') {
      value = value.normalize('NFC');
    }
    return value.trim();
  }

  /* ---------- status and error display ---------- */

  function setStatus(title, detail, isError) {
    var status = els['form-status'];
    status.textContent = '';
    status.classList.toggle('is-error', Boolean(isError));
    if (!title) {
      return;
    }
    if (!detail) {
      status.textContent = title;
      return;
    }
    var titleEl = document.createElement('span');
    titleEl.className = 'status-title';
    titleEl.textContent = title;
    var detailEl = document.createElement('span');
    detailEl.className = 'status-detail';
    detailEl.textContent = detail;
    status.appendChild(titleEl);
    status.appendChild(document.createTextNode(' '));
    status.appendChild(detailEl);
  }

  function setFormError(message) {
    els['form-error'].textContent = message || '';
  }

  function fieldParts(field) {
    if (field === 'identifier') {
      return { input: els.identifier, error: els['identifier-error'] };
    }
    if (field === 'inviteCode') {
      return { input: els['invite-code'], error: els['invite-code-error'] };
    }
    return null;
  }

  function setFieldError(field, message) {
    var parts = fieldParts(field);
    if (!parts) {
      return;
    }
    if (message) {
      parts.error.textContent = message;
      parts.error.hidden = false;
      parts.input.setAttribute('aria-invalid', 'true');
    } else {
      parts.error.textContent = '';
      parts.error.hidden = true;
      parts.input.removeAttribute('aria-invalid');
    }
  }

  function clearErrors() {
    setFieldError('identifier', '');
    setFieldError('inviteCode', '');
    setFormError('');
  }

  function focusField(field) {
    var parts = fieldParts(field);
    if (parts) {
      parts.input.focus();
    }
  }

  /* ---------- form state ---------- */

  function setControlsDisabled(disabled) {
    Array.prototype.forEach.call(els['invite-form'].elements, function (control) {
      control.disabled = disabled;
    });
  }

  function setBusy(busy) {
    var button = els['submit-button'];
    state.submitting = busy;
    button.disabled = busy || !state.ready;
    if (busy) {
      button.setAttribute('aria-busy', 'true');
      button.textContent = TEXT.submitBusy;
    } else {
      button.removeAttribute('aria-busy');
      button.textContent = TEXT.submitIdle;
    }
  }

  function showInviteCodeField(show) {
    state.inviteCodeShown = show;
    els['invite-code-field'].hidden = !show;
    els['invite-code'].required = show;
  }

  /* ---------- config ---------- */

  function applyConfig(config) {
    var name = typeof config.serverName === 'string' ? config.serverName.trim() : '';
    if (name) {
      els['server-name'].textContent = name;
      document.title = I18N.t('title', { server: name }) + ' · Helpr';
    }
    // An invite link (/j/<code>) carries its own tier, cap and expiry: send its code even when codes are optional.
    showInviteCodeField(config.inviteCodeRequired === true || inviteCodeFromUrl() !== '');
    applySignInMode(typeof config.signInMode === 'string' ? config.signInMode : 'typed');
    els['demo-notice'].hidden = config.demoMode !== true;
    H.applyBranding(config);
    state.ready = true;
    setStatus('');
    setBusy(false);
  }

  // "plex": only the Sign in with Plex button (and the code field); "typed": only the form; "plex_or_typed": both.
  function applySignInMode(mode) {
    state.signInMode = mode;
    var signIn = mode === 'plex' || mode === 'plex_or_typed';
    var typed = mode !== 'plex';
    els['plex-sign-in'].hidden = !signIn;
    els['plex-button'].disabled = !signIn;
    els['typed-divider'].hidden = !(signIn && typed);
    els['identifier-field'].hidden = !typed;
    els.identifier.required = typed;
    els['submit-button'].hidden = !typed;
  }

  function showConfigError(error) {
    var message = error ? cleanMessage(error.message) : '';
    if (error && error.code === 'setup_required') {
      setStatus(TEXT.notSetUp, message === TEXT.notSetUp ? '' : message, true);
    } else if (message) {
      setStatus(message, '', true);
    } else {
      setStatus(TEXT.unreachablePortal, '', true);
    }
    state.ready = false;
    setControlsDisabled(true);
  }

  function loadConfig() {
    setStatus(TEXT.loadingConfig);
    return fetchWithTimeout(CONFIG_URL, {
      method: 'GET',
      headers: I18N.headers({ Accept: 'application/json' }),
      cache: 'no-store'
    }, CONFIG_TIMEOUT_MS).then(function (response) {
      return readJson(response).then(function (body) {
        var error = errorObject(body);
        if (!response.ok || error || !isPlainObject(body)) {
          showConfigError(error);
          return;
        }
        applyConfig(body);
      });
    }).catch(function () {
      showConfigError(null);
    });
  }

  /* ---------- invite code from the URL ---------- */

  function safeDecode(text) {
    try {
      return decodeURIComponent(text);
    } catch (e) {
      return text;
    }
  }

  function inviteCodeFromUrl() {
    var fromQuery = new URLSearchParams(window.location.search).get('code');
    if (fromQuery && fromQuery.trim()) {
      return fromQuery.trim();
    }
    var match = /^\/j\/([^/]+)\/?$/.exec(window.location.pathname);
    return match ? safeDecode(match[1]).trim() : '';
  }

  function prefillInviteCode() {
    var code = inviteCodeFromUrl();
    if (code) {
      els['invite-code'].value = code.slice(0, MAX_INVITE_CODE_LENGTH);
    }
  }

  /* ---------- validation ---------- */

  function validateIdentifier(raw) {
    var value = normalize(raw);
    if (!value) {
      return TEXT.identifierRequired;
    }
    var length = codePointLength(value);
    if (length > MAX_IDENTIFIER_LENGTH) {
      return I18N.t('identifierTooLong', { length: length, max: MAX_IDENTIFIER_LENGTH });
    }
    if (value.indexOf('@') !== -1) {
      return EMAIL_RE.test(value) ? '' : TEXT.invalidEmail;
    }
    if (length > MAX_USERNAME_LENGTH || !USERNAME_RE.test(value)) {
      return TEXT.invalidUsername;
    }
    return '';
  }

  function validateInviteCode(raw) {
    var value = String(raw).trim();
    if (!value) {
      return TEXT.inviteCodeRequired;
    }
    if (codePointLength(value) > MAX_INVITE_CODE_LENGTH) {
      return TEXT.inviteCodeTooLong;
    }
    if (CONTROL_CHARS_RE.test(value)) {
      return TEXT.inviteCodeBadChars;
    }
    return '';
  }

  // Returns the fields with problems, in form order.
  function validateForm(codeOnly) {
    var problems = [];
    if (codeOnly) {
      if (state.inviteCodeShown) {
        var onlyCodeProblem = validateInviteCode(els['invite-code'].value);
        if (onlyCodeProblem) {
          problems.push({ field: 'inviteCode', message: onlyCodeProblem });
        }
      }
      return problems;
    }
    var identifierProblem = validateIdentifier(els.identifier.value);
    if (identifierProblem) {
      problems.push({ field: 'identifier', message: identifierProblem });
    }
    if (state.inviteCodeShown) {
      var codeProblem = validateInviteCode(els['invite-code'].value);
      if (codeProblem) {
        problems.push({ field: 'inviteCode', message: codeProblem });
      }
    }
    return problems;
  }

  function showProblems(problems) {
    problems.forEach(function (problem) {
      setFieldError(problem.field, problem.message);
    });
    focusField(problems[0].field);
  }

  /* ---------- submit ---------- */

  function buildPayload() {
    var payload = { identifier: normalize(els.identifier.value) };
    if (state.inviteCodeShown) {
      payload.inviteCode = els['invite-code'].value.trim();
    }
    return payload;
  }

  function postInvite(payload) {
    return fetchWithTimeout(INVITES_URL, {
      method: 'POST',
      headers: I18N.headers({ 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: JSON.stringify(payload),
      cache: 'no-store'
    }, INVITE_TIMEOUT_MS);
  }

  function withRetryHint(message, seconds) {
    if (seconds === null) {
      return message;
    }
    var mentionsWait = new RegExp('\\b' + seconds + '\\b').test(message) || /\bseconds?\b/i.test(message);
    if (mentionsWait) {
      return message;
    }
    return message + ' ' + I18N.t('retryHint', { seconds: seconds });
  }

  function fallbackErrorMessage(status) {
    if (status === 429) {
      return TEXT.rateLimited;
    }
    if (status >= 400 && status < 500) {
      return TEXT.badRequest;
    }
    return TEXT.serverProblem;
  }

  function showSuccess(body, alreadyShared) {
    var message = cleanMessage(body.message) || (alreadyShared ? TEXT.alreadyFallback : TEXT.invitedFallback);
    var signedIn = body.signedIn === true;
    var accepted = signedIn && body.accepted === true;
    els['open-plex-wrap'].hidden = !accepted;
    els['next-steps'].hidden = accepted;
    els['next-steps-heading'].hidden = accepted;
    els['plex-sign-in'].hidden = true;
    var libraries = Array.isArray(body.libraries) ? body.libraries.filter(function (item) {
      return typeof item === 'string' && item.trim();
    }) : [];

    var heading = alreadyShared ? TEXT.alreadyHeading : TEXT.invitedHeading;
    if (signedIn && !alreadyShared) {
      heading = accepted ? TEXT.signedInHeading : TEXT.invitedNotAcceptedHeading;
    }
    els['success-heading'].textContent = heading;
    els['success-message'].textContent = message;

    var list = els['library-list'];
    list.textContent = '';
    libraries.forEach(function (name) {
      var item = document.createElement('li');
      item.textContent = name;
      list.appendChild(item);
    });
    els['success-libraries'].hidden = libraries.length === 0;
    // The Start watching page shows how to accept the invite only while it is still pending.
    els['start-link'].href = accepted ? '/start?accepted=1' : '/start';

    setStatus('');
    els['invite-form'].hidden = true;
    els['invite-success'].hidden = false;
    els['success-heading'].focus();
  }

  function showServerError(response, body) {
    var error = errorObject(body);
    if (!error) {
      setFormError(TEXT.serverProblem);
      return;
    }
    var message = cleanMessage(error.message) || fallbackErrorMessage(response.status);
    if (response.status === 429) {
      message = withRetryHint(message, retryAfterSeconds(response));
    }
    if (error.code === 'sign_in_required') {
      applySignInMode('plex');  // this invite takes a Plex sign-in only
      setPlexError(message);
      els['plex-button'].focus();
      return;
    }
    var field = error.field;
    var fieldShown = field === 'identifier' || (field === 'inviteCode' && state.inviteCodeShown);
    if (fieldShown) {
      setFieldError(field, message);
      focusField(field);
    } else {
      setFormError(message);
    }
  }

  function handleResponse(response) {
    return readJson(response).then(function (body) {
      if (response.ok && isPlainObject(body) && !errorObject(body)) {
        showSuccess(body, body.outcome === 'already_shared');
        // Remembered for this tab, so Start watching and the status page know who the guest is.
        H.guestIdentity.save(normalize(els.identifier.value), state.inviteCodeShown ? els['invite-code'].value.trim() : '');
        return true;
      }
      if (response.ok) {
        // A 2xx without the expected JSON is most likely a proxy page, not our API.
        setFormError(TEXT.serverProblem);
        return false;
      }
      showServerError(response, body);
      return false;
    });
  }

  // Disabling the focused button drops focus to <body>; put it back somewhere sensible.
  function restoreFocus() {
    var active = document.activeElement;
    if (!active || active === document.body) {
      els['submit-button'].focus();
    }
  }

  function handleSubmit(event) {
    event.preventDefault();
    if (!state.ready || state.submitting) {
      return;
    }
    clearErrors();

    var problems = validateForm();
    if (problems.length) {
      showProblems(problems);
      return;
    }

    setBusy(true);
    postInvite(buildPayload()).then(handleResponse, function (error) {
      setFormError(isAbortError(error) ? TEXT.timeout : TEXT.network);
      return false;
    }).catch(function () {
      setFormError(TEXT.serverProblem);
      return false;
    }).then(function (succeeded) {
      if (!succeeded) {
        setBusy(false);
        restoreFocus();
      }
    });
  }

  // Clear a field's error as soon as the user edits it, so stale messages don't linger.
  function handleInput(event) {
    if (event.target === els.identifier) {
      setFieldError('identifier', '');
    } else if (event.target === els['invite-code']) {
      setFieldError('inviteCode', '');
    }
  }

  /* ---------- sign in with Plex ---------- */

  function setPlexError(message) {
    els['plex-error'].textContent = message || '';
  }

  function setSignInBusy(busy, label) {
    els['plex-button'].disabled = busy;
    if (busy) {
      els['plex-button'].setAttribute('aria-busy', 'true');
      els['plex-button'].textContent = label || TEXT.signInBusy;
    } else {
      els['plex-button'].removeAttribute('aria-busy');
      els['plex-button'].textContent = TEXT.signInIdle;
    }
  }

  function postJson(url, payload) {
    return fetchWithTimeout(url, {
      method: 'POST',
      headers: I18N.headers({ 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: JSON.stringify(payload || {}),
      credentials: 'same-origin',
      cache: 'no-store'
    }, INVITE_TIMEOUT_MS);
  }

  function signInError(response, body) {
    var error = errorObject(body);
    var message = error ? cleanMessage(error.message) : '';
    if (error && error.field === 'inviteCode' && state.inviteCodeShown) {
      setFieldError('inviteCode', message || fallbackErrorMessage(response.status));
      focusField('inviteCode');
      return;
    }
    if (response.status === 429) {
      message = withRetryHint(message || TEXT.rateLimited, retryAfterSeconds(response));
    }
    setPlexError(message || fallbackErrorMessage(response.status));
  }

  // Full-page redirect to Plex's sign-in page (works on phones); the PIN id stays in an HttpOnly cookie.
  function handleSignIn() {
    if (!state.ready) {
      return;
    }
    clearErrors();
    setPlexError('');
    var problems = validateForm(true);
    if (problems.length) {
      showProblems(problems);
      return;
    }
    var payload = state.inviteCodeShown ? { inviteCode: els['invite-code'].value.trim() } : {};
    setSignInBusy(true);
    postJson(SIGN_IN_URL, payload).then(function (response) {
      return readJson(response).then(function (body) {
        if (response.ok && isPlainObject(body) && typeof body.authUrl === 'string') {
          window.location.assign(body.authUrl);
          return;
        }
        signInError(response, body);
        setSignInBusy(false);
      });
    }, function (error) {
      setPlexError(isAbortError(error) ? TEXT.timeout : TEXT.network);
      setSignInBusy(false);
    });
  }

  function completeSignIn(attempt) {
    setStatus(TEXT.signInChecking);
    setSignInBusy(true, TEXT.signInChecking);
    return postJson(SIGN_IN_COMPLETE_URL, {}).then(function (response) {
      return readJson(response).then(function (body) {
        var error = errorObject(body);
        if (response.ok && isPlainObject(body) && !error) {
          setStatus('');
          showSuccess(body, body.outcome === 'already_shared');
          return;
        }
        if (error && error.code === 'sign_in_pending') {
          if (attempt + 1 < SIGN_IN_POLLS) {
            return new Promise(function (resolve) {
              window.setTimeout(resolve, SIGN_IN_POLL_MS);
            }).then(function () {
              return completeSignIn(attempt + 1);
            });
          }
          setStatus('');
          setSignInBusy(false);
          setPlexError(TEXT.signInAbandoned);
          return;
        }
        setStatus('');
        setSignInBusy(false);
        signInError(response, body);
      });
    }, function (error) {
      setStatus('');
      setSignInBusy(false);
      setPlexError(isAbortError(error) ? TEXT.timeout : TEXT.network);
    });
  }

  function returningFromPlex() {
    return new URLSearchParams(window.location.search).get('signin') === 'plex';
  }

  function init() {
    collectElements();
    if (!els['invite-form']) {
      return;
    }
    els['invite-form'].addEventListener('submit', handleSubmit);
    els['invite-form'].addEventListener('input', handleInput);
    els['plex-button'].addEventListener('click', handleSignIn);
    prefillInviteCode();
    var returning = returningFromPlex();
    if (returning) {
      window.history.replaceState(null, '', window.location.pathname);
    }
    loadConfig().then(function () {
      if (returning && state.ready) {
        completeSignIn(0);
      }
    });
  }

  I18N.ready.then(function () {
    collectElements();
    if (els['invite-form']) {
      localize();
    }
    init();
  });
}());
