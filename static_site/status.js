/* Helpr status page: a returning guest enters their Plex account and invite code (or comes from the invite page,
   which remembered them for this tab) and sees whether the invite is pending or accepted, their tier, libraries and
   when access ends, with a button that asks the owner for more time. Check with Plex signs in on Plex's page instead
   (purpose "status", kept in the API's HttpOnly PIN cookie) and comes back to /status?signin=plex; the API then sets an
   HttpOnly proof cookie that stands for the guest when they ask for more time. */
(function () {
  'use strict';

  var H = window.Helpr;
  var I18N = H.i18n;
  var TIMEOUT_MS = 20000;
  var STATES = { pending: 'statusPending', accepted: 'statusAccepted', unknown: 'statusUnknown', missing: 'statusMissing', ended: 'statusEnded' };
  var SIGN_IN_POLLS = 5;
  var SIGN_IN_POLL_MS = 1500;
  var els = {};
  // {identifier, inviteCode}, or {} after a check with Plex: the API's HttpOnly proof cookie then stands for the guest.
  var identity = null;

  function text() {
    return {
      network: I18N.t('network'),
      timeout: I18N.t('timeout'),
      serverProblem: I18N.t('serverProblem'),
      badRequest: I18N.t('badRequest'),
      tooManyAttempts: I18N.t('rateLimited')
    };
  }

  function post(url, payload) {
    return H.requestJson(url, {
      method: 'POST',
      headers: I18N.headers({ 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: JSON.stringify(payload),
      cache: 'no-store'
    }, TIMEOUT_MS);
  }

  function formatDate(value) {
    var date = H.parseTime(value);
    return date ? I18N.formatDate(date) : '';
  }

  function render(body) {
    els['status-title'].textContent = I18N.t('statusTitle', { server: H.asText(body.serverName) || 'Plex' });
    document.title = els['status-title'].textContent + ' · Helpr';
    els['result-heading'].textContent = I18N.t(STATES[body.status] || 'statusUnknown');
    els['result-tier'].textContent = I18N.t('tierLine', { tier: H.asText(body.tier) });
    var ends = formatDate(body.expiresAt);
    els['result-ends'].textContent = body.status === 'ended' ? '' : ends ? I18N.t('accessEnds', { date: ends }) : I18N.t('noEndDate');
    els['result-ends'].hidden = body.status === 'ended';
    H.clearChildren(els['result-library-list']);
    var libraries = Array.isArray(body.libraries) ? body.libraries.filter(function (n) { return typeof n === 'string'; }) : [];
    libraries.forEach(function (name) { els['result-library-list'].appendChild(H.element('li', '', name)); });
    els['result-libraries'].hidden = libraries.length === 0;
    var asked = formatDate(body.moreTimeRequestedAt);
    els['more-time-note'].textContent = asked ? I18N.t('moreTimeAsked', { date: asked }) : '';
    els['more-time'].hidden = body.canRequestMoreTime !== true;
    els['status-result'].hidden = false;
    els['status-form'].hidden = true;
    els['plex-check-section'].hidden = true;
    els.lede.hidden = true;
    els['result-heading'].focus();
  }

  function check(payload) {
    els['form-error'].textContent = '';
    els['page-status'].textContent = I18N.t('loadingConfig');
    els['check-button'].disabled = true;
    return post('/api/guest/status', payload).then(function (result) {
      els['page-status'].textContent = '';
      els['check-button'].disabled = false;
      if (!result.ok) {
        els['status-form'].hidden = false;
        els['form-error'].textContent = H.errorMessage(result, text());
        return;
      }
      identity = payload;
      H.guestIdentity.save(payload.identifier, payload.inviteCode);
      render(result.body);
    });
  }

  // Full-page redirect to Plex's sign-in page; the purpose ("status") and the PIN stay in the API's HttpOnly cookie.
  function checkWithPlex() {
    els['plex-check-error'].textContent = '';
    els['plex-check'].disabled = true;
    post('/api/signin/plex', { purpose: 'status' }).then(function (result) {
      if (result.ok && typeof result.body.authUrl === 'string') {
        window.location.assign(result.body.authUrl);
        return;
      }
      els['plex-check'].disabled = false;
      els['plex-check-error'].textContent = H.errorMessage(result, text());
    });
  }

  // Back from Plex: asks for the signed-in account's status (a few times, if Plex is a moment late).
  function completePlexCheck(attempt) {
    els['page-status'].textContent = I18N.t('statusPlexChecking');
    els['plex-check'].disabled = true;
    return post('/api/guest/status/plex', {}).then(function (result) {
      if (result.ok) {
        els['page-status'].textContent = '';
        els['plex-check'].disabled = false;
        identity = {};
        render(result.body);
        return;
      }
      if (result.error && result.error.code === 'sign_in_pending' && attempt + 1 < SIGN_IN_POLLS) {
        return new Promise(function (resolve) { window.setTimeout(resolve, SIGN_IN_POLL_MS); }).then(function () {
          return completePlexCheck(attempt + 1);
        });
      }
      els['page-status'].textContent = '';
      els['plex-check'].disabled = false;
      els['plex-check-error'].textContent = result.error && result.error.code === 'sign_in_pending'
        ? I18N.t('statusPlexAbandoned')
        : H.errorMessage(result, text());
    });
  }

  function askForMoreTime() {
    els['more-time'].disabled = true;
    post('/api/guest/more-time', identity).then(function (result) {
      els['more-time'].disabled = false;
      if (!result.ok) {
        els['more-time-note'].textContent = H.errorMessage(result, text());
        return;
      }
      els['more-time'].hidden = true;
      els['more-time-note'].textContent = I18N.t('moreTimeSent');
    });
  }

  function init() {
    els.lede = document.querySelector('.card-header .lede');
    H.collectById(['status-title', 'page-status', 'status-form', 'identifier', 'invite-code', 'form-error', 'check-button',
      'status-result', 'result-heading', 'result-tier', 'result-ends', 'result-libraries', 'result-library-list',
      'more-time-note', 'more-time', 'plex-check-section', 'plex-check', 'plex-check-error'], els);
    els['status-title'].textContent = I18N.t('statusTitle', { server: I18N.t('defaultServerName') });
    H.loadBranding(I18N.headers({ Accept: 'application/json' }));
    var saved = H.guestIdentity.load();
    var code = new URLSearchParams(window.location.search).get('code') || '';
    els.identifier.value = saved ? saved.identifier : '';
    els['invite-code'].value = code || (saved ? saved.inviteCode : '');
    els['status-form'].addEventListener('submit', function (event) {
      event.preventDefault();
      var payload = { identifier: els.identifier.value.trim(), inviteCode: els['invite-code'].value.trim() };
      if (!payload.identifier || !payload.inviteCode) {
        els['form-error'].textContent = I18N.t('statusLede');
        (payload.identifier ? els['invite-code'] : els.identifier).focus();
        return;
      }
      check(payload);
    });
    els['more-time'].addEventListener('click', askForMoreTime);
    els['plex-check'].addEventListener('click', checkWithPlex);
    if (new URLSearchParams(window.location.search).get('signin') === 'plex') {
      window.history.replaceState(null, '', window.location.pathname);
      completePlexCheck(0);
    } else if (saved) {
      check(saved);
    }
  }

  I18N.ready.then(init);
}());
