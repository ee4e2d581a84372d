/* Helpr admin invite log: filters, cursor pagination and CSV download of the full log. */
(function () {
  'use strict';

  var H = window.Helpr;
  var isPlainObject = H.isPlainObject;

  var INVITES_URL = '/api/manage/invites';
  var PAGE_SIZE = 50;
  var REQUEST_TIMEOUT_MS = 20000;
  var MAX_IDENTIFIER_LENGTH = 254;

  var TEXT = Object.assign({}, H.TEXT, {
    loading: 'Loading invites…',
    badRequest: "That didn't work. Check the filters and try again.",
    tooManyAttempts: 'Too many requests.',
    noMatches: 'No invites match these filters.',
    noInvites: 'No invite requests yet.'
  });

  var els = {};
  var state = {
    filters: { outcome: '', identifier: '' },
    // cursor of the page on screen (null = newest page) and the cursors of the pages before it.
    cursor: null,
    previousCursors: [],
    nextCursor: null,
    loading: false
  };

  function collectElements() {
    H.collectById([
      'log-main', 'log-status', 'log-error', 'log-signin', 'signin-heading', 'log-content', 'log-filters',
      'filter-outcome', 'filter-identifier', 'log-apply', 'results-heading', 'csv-link', 'log-table',
      'log-prev', 'log-page', 'log-next'
    ], els);
  }

  // The log shows the year in the time column; the dashboard's recent list doesn't.
  var shortDateTime = H.createFormatter({ year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

  /* ---------- requests ---------- */

  // Always resolves, to { ok, status, body, error, retryAfter, network, timedOut }.
  function getJson(url) {
    return H.requestJson(url, {
      method: 'GET',
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store'
    }, REQUEST_TIMEOUT_MS);
  }

  function errorMessage(result) {
    return H.errorMessage(result, TEXT);
  }

  /* ---------- filters and URLs ---------- */

  function filterParams(filters) {
    var params = new URLSearchParams();
    if (filters.outcome) {
      params.set('outcome', filters.outcome);
    }
    if (filters.identifier) {
      params.set('identifier', filters.identifier);
    }
    return params;
  }

  function pageUrl(filters, cursor) {
    var params = filterParams(filters);
    params.set('limit', String(PAGE_SIZE));
    if (cursor) {
      params.set('cursor', cursor);
    }
    return INVITES_URL + '?' + params.toString();
  }

  function csvUrl(filters) {
    var params = filterParams(filters);
    params.set('format', 'csv');
    return INVITES_URL + '?' + params.toString();
  }

  function knownOutcome(value) {
    return Object.prototype.hasOwnProperty.call(H.OUTCOME_LABELS, value) ? value : '';
  }

  function readFiltersFromForm() {
    return {
      outcome: knownOutcome(els['filter-outcome'].value),
      identifier: els['filter-identifier'].value.trim().slice(0, MAX_IDENTIFIER_LENGTH)
    };
  }

  function readFiltersFromAddress() {
    var params = new URLSearchParams(window.location.search);
    return {
      outcome: knownOutcome(params.get('outcome') || ''),
      identifier: (params.get('identifier') || '').trim().slice(0, MAX_IDENTIFIER_LENGTH)
    };
  }

  // Keeps the filters in the address bar so the view can be bookmarked or reloaded.
  function rememberFilters(filters) {
    if (!window.history || typeof window.history.replaceState !== 'function') {
      return;
    }
    var query = filterParams(filters).toString();
    try {
      window.history.replaceState(null, '', window.location.pathname + (query ? '?' + query : ''));
    } catch (e) {
      // Some embedded browsers refuse; the filters still work.
    }
  }

  function applyFiltersToView(filters) {
    els['filter-outcome'].value = filters.outcome;
    els['filter-identifier'].value = filters.identifier;
    els['csv-link'].href = csvUrl(filters);
  }

  /* ---------- loading pages ---------- */

  function setStatus(message) {
    els['log-status'].textContent = message || '';
  }

  function setError(message) {
    els['log-error'].textContent = message || '';
  }

  function hasFilters(filters) {
    return Boolean(filters.outcome || filters.identifier);
  }

  function updatePager() {
    var page = state.previousCursors.length + 1;
    els['log-page'].textContent = 'Page ' + page;
    els['log-prev'].disabled = state.loading || state.previousCursors.length === 0;
    els['log-next'].disabled = state.loading || !state.nextCursor;
  }

  function setLoading(loading) {
    state.loading = loading;
    Array.prototype.forEach.call(els['log-filters'].elements, function (control) {
      control.disabled = loading;
    });
    if (loading) {
      els['log-table'].setAttribute('aria-busy', 'true');
    } else {
      els['log-table'].removeAttribute('aria-busy');
    }
    updatePager();
  }

  function showSignIn() {
    els['log-content'].hidden = true;
    els['log-signin'].hidden = false;
    setStatus('');
    setError('');
    els['signin-heading'].focus();
  }

  // Loads one page; the new position (filters, cursor, history) only takes effect if the page arrives.
  function loadPage(filters, cursor, previousCursors, focusAfter) {
    if (state.loading) {
      return;
    }
    setLoading(true);
    setError('');
    setStatus(TEXT.loading);
    getJson(pageUrl(filters, cursor)).then(function (result) {
      state.loading = false;
      if (result.status === 401) {
        setLoading(false);
        showSignIn();
        return;
      }
      var items = result.ok && Array.isArray(result.body.items) ? result.body.items.filter(isPlainObject) : null;
      if (!items) {
        setLoading(false);
        setStatus('');
        setError("Couldn't load the invite log. " + errorMessage(result));
        return;
      }
      state.filters = filters;
      state.cursor = cursor;
      state.previousCursors = previousCursors;
      state.nextCursor = typeof result.body.nextCursor === 'string' && result.body.nextCursor ? result.body.nextCursor : null;
      H.renderInviteRows(els['log-table'], items, hasFilters(filters) ? TEXT.noMatches : TEXT.noInvites, shortDateTime);
      setLoading(false);

      var page = previousCursors.length + 1;
      if (items.length) {
        setStatus('Showing ' + items.length + (items.length === 1 ? ' invite' : ' invites') + ', page ' + page +
          (state.nextCursor ? '. Older invites are on the next page.' : '.'));
      } else {
        setStatus(page === 1 ? (hasFilters(filters) ? TEXT.noMatches : TEXT.noInvites) : 'No more invites.');
      }
      if (focusAfter) {
        focusAfter();
      }
    });
  }

  // After paging, keep focus on the button used unless it just became disabled.
  function focusPagerButton(button) {
    return function () {
      if (!button.disabled) {
        button.focus();
      } else {
        els['results-heading'].focus();
      }
    };
  }

  function handleFilterSubmit(event) {
    event.preventDefault();
    var filters = readFiltersFromForm();
    applyFiltersToView(filters);
    rememberFilters(filters);
    loadPage(filters, null, [], function () {
      if (document.activeElement === document.body || !document.activeElement) {
        els['log-apply'].focus();
      }
    });
  }

  function handleNext() {
    if (!state.nextCursor) {
      return;
    }
    var previous = state.previousCursors.concat([state.cursor]);
    loadPage(state.filters, state.nextCursor, previous, focusPagerButton(els['log-next']));
  }

  function handlePrev() {
    if (!state.previousCursors.length) {
      return;
    }
    var previous = state.previousCursors.slice(0, -1);
    var cursor = state.previousCursors[state.previousCursors.length - 1];
    loadPage(state.filters, cursor, previous, focusPagerButton(els['log-prev']));
  }

  function init() {
    collectElements();
    if (!els['log-filters']) {
      return;
    }
    H.addTableRoles(els['log-table']);
    els['log-filters'].addEventListener('submit', handleFilterSubmit);
    els['log-next'].addEventListener('click', handleNext);
    els['log-prev'].addEventListener('click', handlePrev);
    // The CSV link follows what the form shows, even before Apply is pressed.
    els['log-filters'].addEventListener('input', function () {
      els['csv-link'].href = csvUrl(readFiltersFromForm());
    });
    els['log-filters'].addEventListener('change', function () {
      els['csv-link'].href = csvUrl(readFiltersFromForm());
    });

    var filters = readFiltersFromAddress();
    applyFiltersToView(filters);
    loadPage(filters, null, []);
  }

  H.onReady(init);
}());
