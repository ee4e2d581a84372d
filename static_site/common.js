/* Helpr: helpers shared by the guest pages' scripts (app.js, start.js, status.js, branding.js, i18n.js). Each guest
   page loads this file first (deferred, so it runs in order) and reads it as window.Helpr. The admin pages use the
   ES modules in admin/modules/ instead. */
(function () {
  'use strict';

  var MAX_SHOWN_MESSAGE_LENGTH = 400;

  // Messages every page words the same way; each page adds its own on top.
  var TEXT = {
    network: "Can't reach the server. Check your connection and try again.",
    timeout: 'The server took too long to answer. Please try again in a minute.',
    serverProblem: 'Something went wrong on our side. Please try again in a minute.'
  };

  /* ---------- page start and elements ---------- */

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

  function parseTime(value) {
    if (typeof value !== 'string' || !value) {
      return null;
    }
    var date = new Date(value);
    return isNaN(date.getTime()) ? null : date;
  }

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

  window.Helpr = {
    TEXT: TEXT,
    byId: byId,
    collectById: collectById,
    clearChildren: clearChildren,
    element: element,
    isPlainObject: isPlainObject,
    asText: asText,
    cleanMessage: cleanMessage,
    parseTime: parseTime,
    fetchWithTimeout: fetchWithTimeout,
    isAbortError: isAbortError,
    readJson: readJson,
    errorObject: errorObject,
    retryAfterSeconds: retryAfterSeconds,
    requestJson: requestJson,
    errorMessage: errorMessage
  };
}());
