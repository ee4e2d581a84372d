// @ts-check
/* The invite log page (/admin/log): filters kept in the address, cursor pages (newer and older) and the CSV download
   of everything the filters match. The page's form and table are in log.html; this module fills the table with
   lit-html and reads the log through the API client (a newer load drops the answer to an older one). */
import { render } from '../vendor/lit-html.js';
import { failureText, isObject, REQUEST_TIMEOUT_MS, send } from './api.js';
import { isOutcome, plural } from './format.js';
import { inviteRows } from './invite-table.js';

/** @typedef {{ outcome: string, identifier: string }} Filters */

const INVITES_URL = '/api/manage/invites';
const PAGE_SIZE = 50;
const MAX_IDENTIFIER_LENGTH = 254;

const TEXT = Object.freeze({
  loading: 'Loading invites…',
  noMatches: 'No invites match these filters.',
  noInvites: 'No invite requests yet.',
});

const state = {
  /** @type {Filters} */
  filters: { outcome: '', identifier: '' },
  /** The cursor of the page on screen (null: the newest page) and those of the pages before it. @type {string | null} */
  cursor: null,
  /** @type {(string | null)[]} */
  previousCursors: [],
  /** @type {string | null} */
  nextCursor: null,
  loading: false,
};

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function get(id, type) {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the log page has no #${id}`);
  return found;
}

const els = {
  status: get('log-status', HTMLElement),
  error: get('log-error', HTMLElement),
  signIn: get('log-signin', HTMLElement),
  signInHeading: get('signin-heading', HTMLElement),
  content: get('log-content', HTMLElement),
  filters: get('log-filters', HTMLFormElement),
  outcome: get('filter-outcome', HTMLSelectElement),
  identifier: get('filter-identifier', HTMLInputElement),
  apply: get('log-apply', HTMLButtonElement),
  heading: get('results-heading', HTMLElement),
  csv: get('csv-link', HTMLAnchorElement),
  table: get('log-table', HTMLTableElement),
  prev: get('log-prev', HTMLButtonElement),
  page: get('log-page', HTMLElement),
  next: get('log-next', HTMLButtonElement),
};

/** The log shows the year in the time column; the Overview's recent list doesn't. */
const logDateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** @param {Filters} filters */
function filterParams(filters) {
  const params = new URLSearchParams();
  if (filters.outcome) params.set('outcome', filters.outcome);
  if (filters.identifier) params.set('identifier', filters.identifier);
  return params;
}

/** @param {Filters} filters @param {string | null} cursor */
function pageUrl(filters, cursor) {
  const params = filterParams(filters);
  params.set('limit', String(PAGE_SIZE));
  if (cursor) params.set('cursor', cursor);
  return `${INVITES_URL}?${params}`;
}

/** @param {Filters} filters */
function csvUrl(filters) {
  const params = filterParams(filters);
  params.set('format', 'csv');
  return `${INVITES_URL}?${params}`;
}

/** @param {string | null} outcome @param {string | null} identifier @returns {Filters} */
function cleanFilters(outcome, identifier) {
  return {
    outcome: isOutcome(outcome) ? outcome : '',
    identifier: (identifier ?? '').trim().slice(0, MAX_IDENTIFIER_LENGTH),
  };
}

function filtersFromForm() {
  return cleanFilters(els.outcome.value, els.identifier.value);
}

function filtersFromAddress() {
  const params = new URLSearchParams(window.location.search);
  return cleanFilters(params.get('outcome'), params.get('identifier'));
}

/** Keeps the filters in the address bar, so the view can be bookmarked or reloaded. @param {Filters} filters */
function rememberFilters(filters) {
  const query = filterParams(filters).toString();
  try {
    window.history.replaceState(null, '', window.location.pathname + (query ? `?${query}` : ''));
  } catch {
    // Some embedded browsers refuse; the filters still work.
  }
}

/** @param {Filters} filters */
function showFilters(filters) {
  els.outcome.value = filters.outcome;
  els.identifier.value = filters.identifier;
  els.csv.href = csvUrl(filters);
}

/** @param {Filters} filters */
function hasFilters(filters) {
  return Boolean(filters.outcome || filters.identifier);
}

function updatePager() {
  els.page.textContent = `Page ${state.previousCursors.length + 1}`;
  els.prev.disabled = state.loading || state.previousCursors.length === 0;
  els.next.disabled = state.loading || !state.nextCursor;
}

/** @param {boolean} loading */
function setLoading(loading) {
  state.loading = loading;
  for (const control of els.filters.elements) {
    if (
      control instanceof HTMLInputElement ||
      control instanceof HTMLSelectElement ||
      control instanceof HTMLButtonElement
    ) {
      control.disabled = loading;
    }
  }
  if (loading) els.table.setAttribute('aria-busy', 'true');
  else els.table.removeAttribute('aria-busy');
  updatePager();
}

function showSignIn() {
  els.content.hidden = true;
  els.signIn.hidden = false;
  els.status.textContent = '';
  els.error.textContent = '';
  els.signInHeading.focus();
}

/**
 * Loads one page; the new position (filters, cursor, the pages before it) only takes effect if the page arrives.
 * @param {Filters} filters
 * @param {string | null} cursor
 * @param {(string | null)[]} previousCursors
 * @param {() => void} [focusAfter]
 */
async function loadPage(filters, cursor, previousCursors, focusAfter) {
  if (state.loading) return;
  setLoading(true);
  els.error.textContent = '';
  els.status.textContent = TEXT.loading;
  const answer = await send('GET', pageUrl(filters, cursor), undefined, REQUEST_TIMEOUT_MS, 'invite-log');
  setLoading(false);
  if (answer.aborted) return;
  if (answer.status === 401) {
    showSignIn();
    return;
  }
  const items = answer.ok && Array.isArray(answer.body.items) ? answer.body.items.filter(isObject) : null;
  if (!items) {
    els.status.textContent = '';
    els.error.textContent = `Couldn't load the invite log. ${failureText(answer)}`;
    return;
  }
  const next = answer.body.nextCursor;
  Object.assign(state, {
    filters,
    cursor,
    previousCursors,
    nextCursor: typeof next === 'string' && next ? next : null,
  });
  const emptyText = hasFilters(filters) ? TEXT.noMatches : TEXT.noInvites;
  render(inviteRows(items, emptyText, logDateTime), els.table.tBodies[0]);
  updatePager();

  const page = previousCursors.length + 1;
  if (items.length) {
    const more = state.nextCursor ? '. Older invites are on the next page.' : '.';
    els.status.textContent = `Showing ${plural(items.length, 'invite', 'invites')}, page ${page}${more}`;
  } else {
    els.status.textContent = page === 1 ? emptyText : 'No more invites.';
  }
  focusAfter?.();
}

/** After paging, focus stays on the button used unless it just became disabled. @param {HTMLButtonElement} button */
function focusPagerButton(button) {
  return () => (button.disabled ? els.heading : button).focus();
}

els.filters.addEventListener('submit', (event) => {
  event.preventDefault();
  const filters = filtersFromForm();
  showFilters(filters);
  rememberFilters(filters);
  loadPage(filters, null, [], () => {
    if (!document.activeElement || document.activeElement === document.body) els.apply.focus();
  });
});

els.next.addEventListener('click', () => {
  if (!state.nextCursor) return;
  loadPage(state.filters, state.nextCursor, [...state.previousCursors, state.cursor], focusPagerButton(els.next));
});

els.prev.addEventListener('click', () => {
  if (!state.previousCursors.length) return;
  const cursor = state.previousCursors[state.previousCursors.length - 1];
  loadPage(state.filters, cursor, state.previousCursors.slice(0, -1), focusPagerButton(els.prev));
});

// The CSV link follows what the form shows, even before Apply is pressed.
for (const type of ['input', 'change']) {
  els.filters.addEventListener(type, () => {
    els.csv.href = csvUrl(filtersFromForm());
  });
}

const initial = filtersFromAddress();
showFilters(initial);
loadPage(initial, null, []);
