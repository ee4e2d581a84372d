/* Helpr admin invite log: filters, cursor pagination and CSV download of the full log. */
(function () {
  'use strict';

  var INVITES_URL = '/api/admin/invites';
  var PAGE_SIZE = 50;
  var REQUEST_TIMEOUT_MS = 20000;
  var MAX_SHOWN_MESSAGE_LENGTH = 400;
  var MAX_IDENTIFIER_LENGTH = 254;

  var OUTCOME_LABELS = {
    invited: 'Invited',
    already_shared: 'Already had access',
    code_rejected: 'Wrong invite code',
    user_not_found: 'Plex user not found',
    share_limit: 'Share limit reached',
    plex_rate_limited: 'Plex rate-limited',
    plex_unavailable: 'Plex unavailable',
    invalid_owner_token: 'Owner token invalid',
    plex_error: 'Plex error'
  };

  var TEXT = {
    loading: 'Loading invites…',
    network: "Can't reach the server. Check your connection and try again.",
    timeout: 'The server took too long to answer. Please try again in a minute.',
    serverProblem: 'Something went wrong on our side. Please try again in a minute.',
    badRequest: "That didn't work. Check the filters and try again.",
    tooManyAttempts: 'Too many requests.',
    noMatches: 'No invites match these filters.',
    noInvites: 'No invite requests yet.'
  };

  var els = {};
  var state = {
    filters: { outcome: '', identifier: '' },
    // cursor of the page on screen (null = newest page) and the cursors of the pages before it.
    cursor: null,
    previousCursors: [],
    nextCursor: null,
    loading: false
  };

  function byId(id) {
    return document.getElementById(id);
  }

  function collectElements() {
    [
      'log-main', 'log-status', 'log-error', 'log-signin', 'signin-heading', 'log-content', 'log-filters',
      'filter-outcome', 'filter-identifier', 'log-apply', 'results-heading', 'csv-link', 'log-table',
      'log-prev', 'log-page', 'log-next'
    ].forEach(function (id) {
      els[id] = byId(id);
    });
  }

  /* ---------- small helpers ---------- */

  function isPlainObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  }

  function asText(value) {
    return typeof value === 'string' ? value.trim() : '';
  }

  // Server text is shown with textContent only; this just keeps it to a readable size.
  function cleanMessage(message) {
    var text = asText(message);
    if (text.length > MAX_SHOWN_MESSAGE_LENGTH) {
      text = text.slice(0, MAX_SHOWN_MESSAGE_LENGTH - 1).trimEnd() + '…';
    }
    return text;
  }

  function createFormatter(options) {
    try {
      return new Intl.DateTimeFormat(undefined, options);
    } catch (e) {
      return null;
    }
  }

  var longDateTime = createFormatter({ dateStyle: 'medium', timeStyle: 'short' });
  var shortDateTime = createFormatter({ year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

  function parseTime(value) {
    if (typeof value !== 'string' || !value) {
      return null;
    }
    var date = new Date(value);
    return isNaN(date.getTime()) ? null : date;
  }

  function formatWith(formatter, date) {
    return formatter ? formatter.format(date) : date.toLocaleString();
  }

  function outcomeLabel(outcome) {
    if (Object.prototype.hasOwnProperty.call(OUTCOME_LABELS, outcome)) {
      return OUTCOME_LABELS[outcome];
    }
    var text = asText(outcome).replace(/_/g, ' ');
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : 'Unknown';
  }

  function clearChildren(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  /* ---------- requests ---------- */

  function fetchWithTimeout(url, options, timeoutMs) {
    if (typeof AbortController !== 'function') {
      return fetch(url, options);
    }
    var controller = new AbortController();
    var timer = setTimeout(function () {
      controller.abort();
    }, timeoutMs);
    var opts = Object.assign({}, options, { signal: controller.signal });
    return fetch(url, opts).finally(function () {
      clearTimeout(timer);
    });
  }

  function isAbortError(error) {
    return Boolean(error) && error.name === 'AbortError';
  }

  // Resolves to the parsed JSON body, or undefined when the body isn't JSON (e.g. a proxy error page).
  function readJson(response) {
    return response.text().then(function (text) {
      try {
        return JSON.parse(text);
      } catch (e) {
        return undefined;
      }
    }, function () {
      return undefined;
    });
  }

  function errorObject(body) {
    return isPlainObject(body) && isPlainObject(body.error) ? body.error : null;
  }

  function retryAfterSeconds(response) {
    var header = response.headers.get('Retry-After');
    if (!header) {
      return null;
    }
    var trimmed = header.trim();
    if (/^\d+$/.test(trimmed)) {
      var seconds = parseInt(trimmed, 10);
      return seconds > 0 ? seconds : null;
    }
    var date = Date.parse(trimmed);
    if (isNaN(date)) {
      return null;
    }
    return Math.max(1, Math.ceil((date - Date.now()) / 1000));
  }

  // Always resolves, to { ok, status, body, error, retryAfter, network, timedOut }.
  function getJson(url) {
    return fetchWithTimeout(url, {
      method: 'GET',
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store'
    }, REQUEST_TIMEOUT_MS).then(function (response) {
      return readJson(response).then(function (body) {
        var error = errorObject(body);
        return {
          ok: response.ok && isPlainObject(body) && !error,
          status: response.status,
          body: body,
          error: error,
          retryAfter: retryAfterSeconds(response)
        };
      });
    }, function (error) {
      return { ok: false, status: 0, body: undefined, error: null, retryAfter: null, network: true, timedOut: isAbortError(error) };
    });
  }

  function formatWait(seconds) {
    if (seconds < 60) {
      return seconds + (seconds === 1 ? ' second' : ' seconds');
    }
    var minutes = Math.ceil(seconds / 60);
    return minutes + (minutes === 1 ? ' minute' : ' minutes');
  }

  function errorMessage(result) {
    if (result.network) {
      return result.timedOut ? TEXT.timeout : TEXT.network;
    }
    if (result.status === 429) {
      if (result.retryAfter) {
        return TEXT.tooManyAttempts + ' Try again in ' + formatWait(result.retryAfter) + '.';
      }
      return cleanMessage(result.error && result.error.message) || TEXT.tooManyAttempts + ' Try again later.';
    }
    if (!result.error) {
      return TEXT.serverProblem;
    }
    var message = cleanMessage(result.error.message);
    if (message) {
      return message;
    }
    return result.status >= 400 && result.status < 500 ? TEXT.badRequest : TEXT.serverProblem;
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
    return Object.prototype.hasOwnProperty.call(OUTCOME_LABELS, value) ? value : '';
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

  /* ---------- table ---------- */

  // The narrow-screen layout restyles table parts as blocks; explicit roles keep them a table for screen readers.
  function addTableRoles(table) {
    table.setAttribute('role', 'table');
    Array.prototype.forEach.call(table.querySelectorAll('thead, tbody'), function (group) {
      group.setAttribute('role', 'rowgroup');
    });
    Array.prototype.forEach.call(table.querySelectorAll('thead tr'), function (row) {
      row.setAttribute('role', 'row');
    });
    Array.prototype.forEach.call(table.querySelectorAll('thead th'), function (cell) {
      cell.setAttribute('role', 'columnheader');
    });
  }

  function inviteCell(className) {
    var cell = element('td', className);
    cell.setAttribute('role', 'cell');
    return cell;
  }

  function inviteRow(item) {
    var row = document.createElement('tr');
    row.setAttribute('role', 'row');

    var timeCell = inviteCell('cell-time');
    var created = parseTime(item.createdAt);
    if (created) {
      var time = element('time', '', formatWith(shortDateTime, created));
      time.dateTime = item.createdAt;
      time.title = formatWith(longDateTime, created);
      timeCell.appendChild(time);
    } else {
      timeCell.textContent = '–';
    }
    row.appendChild(timeCell);

    var whoCell = inviteCell('cell-who');
    whoCell.textContent = asText(item.identifier) || '–';
    row.appendChild(whoCell);

    var outcomeCell = inviteCell('cell-outcome');
    var succeeded = item.succeeded === true;
    outcomeCell.appendChild(element('span', 'badge ' + (succeeded ? 'badge-ok' : 'badge-fail'), outcomeLabel(item.outcome)));
    row.appendChild(outcomeCell);

    var detailCell = inviteCell('cell-detail');
    var libraries = Array.isArray(item.libraries) ? item.libraries.filter(function (name) {
      return typeof name === 'string' && name.trim();
    }) : [];
    if (succeeded) {
      detailCell.textContent = libraries.length ? libraries.join(', ') : '–';
    } else {
      var reason = cleanMessage(item.errorMessage);
      detailCell.textContent = reason || outcomeLabel(item.outcome);
      if (!reason) {
        detailCell.classList.add('detail-muted');
      }
    }
    row.appendChild(detailCell);
    return row;
  }

  function renderRows(items, emptyText) {
    var body = els['log-table'].tBodies[0];
    clearChildren(body);
    if (!items.length) {
      var row = element('tr', 'empty-row');
      row.setAttribute('role', 'row');
      var cell = element('td', '', emptyText);
      cell.setAttribute('role', 'cell');
      cell.colSpan = 4;
      row.appendChild(cell);
      body.appendChild(row);
      return;
    }
    items.forEach(function (item) {
      body.appendChild(inviteRow(item));
    });
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
      renderRows(items, hasFilters(filters) ? TEXT.noMatches : TEXT.noInvites);
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
    addTableRoles(els['log-table']);
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

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
