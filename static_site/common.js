/* Helpr: helpers shared by the guest page (app.js), the admin dashboard (admin/admin.js) and the invite log
   (admin/log.js). Each page loads this file first (deferred, so it runs in order) and reads it as window.Helpr. */
(function () {
  'use strict';

  var MAX_SHOWN_MESSAGE_LENGTH = 400;

  // Messages every page words the same way; each page adds its own on top.
  var TEXT = {
    network: "Can't reach the server. Check your connection and try again.",
    timeout: 'The server took too long to answer. Please try again in a minute.',
    serverProblem: 'Something went wrong on our side. Please try again in a minute.'
  };

  var OUTCOME_LABELS = {
    invited: 'Invited',
    already_shared: 'Already had access',
    code_rejected: 'Wrong invite code',
    user_not_found: 'Plex user not found',
    share_limit: 'Share limit reached',
    plex_rate_limited: 'Plex rate-limited',
    plex_unavailable: 'Plex unavailable',
    plex_unconfirmed: 'Not confirmed by Plex',
    access_not_recorded: 'Not recorded, withdrawn',
    invalid_owner_token: 'Owner token invalid',
    plex_error: 'Plex error'
  };

  /* ---------- page start and elements ---------- */

  function onReady(init) {
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', init);
    } else {
      init();
    }
  }

  function byId(id) {
    return document.getElementById(id);
  }

  // Fills els with the elements of the given ids, keyed by id.
  function collectById(ids, els) {
    ids.forEach(function (id) {
      els[id] = byId(id);
    });
    return els;
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

  /* ---------- values and text ---------- */

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

  function outcomeLabel(outcome) {
    if (Object.prototype.hasOwnProperty.call(OUTCOME_LABELS, outcome)) {
      return OUTCOME_LABELS[outcome];
    }
    var text = asText(outcome).replace(/_/g, ' ');
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : 'Unknown';
  }

  /* ---------- dates ---------- */

  function createFormatter(options) {
    try {
      return new Intl.DateTimeFormat(undefined, options);
    } catch (e) {
      return null;
    }
  }

  var longDateTime = createFormatter({ dateStyle: 'medium', timeStyle: 'short' });

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

  // Retry-After is either delay-seconds or an HTTP date.
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
  function requestJson(url, options, timeoutMs) {
    return fetchWithTimeout(url, options, timeoutMs).then(function (response) {
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

  // The message for a failed requestJson result; text is the page's TEXT (timeout, network, tooManyAttempts,
  // serverProblem, badRequest).
  function errorMessage(result, text) {
    if (result.network) {
      return result.timedOut ? text.timeout : text.network;
    }
    if (result.status === 429) {
      if (result.retryAfter) {
        return text.tooManyAttempts + ' Try again in ' + formatWait(result.retryAfter) + '.';
      }
      return cleanMessage(result.error && result.error.message) || text.tooManyAttempts + ' Try again later.';
    }
    if (!result.error) {
      // Not our JSON error shape: a proxy page or a crash, never shown raw.
      return text.serverProblem;
    }
    var message = cleanMessage(result.error.message);
    if (message) {
      return message;
    }
    return result.status >= 400 && result.status < 500 ? text.badRequest : text.serverProblem;
  }

  /* ---------- invite tables (dashboard and invite log) ---------- */

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

  function inviteRow(item, shortDateTime) {
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

  // Fills the table's body with one row per invite, or one row saying emptyText. shortDateTime formats the
  // time cell (the dashboard leaves out the year, the log shows it); the full date is its tooltip.
  function renderInviteRows(table, items, emptyText, shortDateTime) {
    var body = table.tBodies[0];
    clearChildren(body);
    var rows = items.filter(isPlainObject);
    if (!rows.length) {
      var row = element('tr', 'empty-row');
      row.setAttribute('role', 'row');
      var cell = element('td', '', emptyText);
      cell.setAttribute('role', 'cell');
      cell.colSpan = 4;
      row.appendChild(cell);
      body.appendChild(row);
      return;
    }
    rows.forEach(function (item) {
      body.appendChild(inviteRow(item, shortDateTime));
    });
  }

  window.Helpr = {
    TEXT: TEXT,
    OUTCOME_LABELS: OUTCOME_LABELS,
    onReady: onReady,
    byId: byId,
    collectById: collectById,
    clearChildren: clearChildren,
    element: element,
    isPlainObject: isPlainObject,
    asText: asText,
    cleanMessage: cleanMessage,
    outcomeLabel: outcomeLabel,
    createFormatter: createFormatter,
    longDateTime: longDateTime,
    parseTime: parseTime,
    formatWith: formatWith,
    fetchWithTimeout: fetchWithTimeout,
    isAbortError: isAbortError,
    readJson: readJson,
    errorObject: errorObject,
    retryAfterSeconds: retryAfterSeconds,
    requestJson: requestJson,
    errorMessage: errorMessage,
    addTableRoles: addTableRoles,
    renderInviteRows: renderInviteRows
  };
}());
