// @ts-check
/* The Audit view: every admin change, sign-in and expiry run, newest first, with filters (who, action, a date range),
   cursor pages (newer and older) and a CSV download of everything the filters match. */
import { html, nothing, render } from '../vendor/lit-html.js';
import { dropped, failureText, pathFor, REQUEST_TIMEOUT_MS, send } from './api.js';
import { formatDateTime } from './format.js';
import { viewFromHash } from './routes.js';
import * as ui from './ui.js';

/** @typedef {import('../types/api').components['schemas']['AuditEntry']} AuditEntry */
/** @typedef {import('../types/api').components['schemas']['AuditPage']} AuditPage */
/** @typedef {{ actor: string, action: string, from: string, to: string }} Filters */

const PAGE_SIZE = 50;
const NO_FILTERS = Object.freeze({ actor: '', action: '', from: '', to: '' });

const view = {
  /** @type {Filters} */
  filters: { ...NO_FILTERS },
  /** @type {AuditEntry[]} */
  entries: [],
  /** @type {string | null} */
  cursor: null,
  /** @type {(string | null)[]} */
  previousCursors: [],
  /** @type {string | null} */
  nextCursor: null,
  /** @type {string[]} every action the trail can hold, for the action filter */
  actions: [],
  /** @type {string[]} the admin, the timer and the API keys, suggested in the who filter */
  actors: [],
  loading: false,
  loaded: false,
  status: ui.NO_STATUS,
};

/** @type {HTMLElement | null} */
let root = null;

/** A yyyy-mm-dd from a date input as the start of that day in local time, in ISO 8601; '' for none. @param {string} day @param {number} addDays */
export function dayStart(day, addDays = 0) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return '';
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + addDays).toISOString();
}

/** The query for the filters: "to" includes its whole day. @param {Filters} filters */
export function filterParams(filters) {
  /** @type {Record<string, string>} */
  const params = {};
  if (filters.actor) params.actor = filters.actor;
  if (filters.action) params.action = filters.action;
  const since = dayStart(filters.from);
  const until = dayStart(filters.to, 1);
  if (since) params.since = since;
  if (until) params.until = until;
  return params;
}

function csvUrl() {
  return `${pathFor('/manage/audit')}?${new URLSearchParams({ ...filterParams(view.filters), format: 'csv' })}`;
}

/** @param {string} outcome */
function outcomeBadge(outcome) {
  return outcome === 'ok' ? ui.badge('ok', 'Done') : ui.badge('error', outcome);
}

/** @param {AuditEntry} entry */
function entryRow(entry) {
  return html`<tr role="row">
    ${ui.cell('Time', formatDateTime(entry.at))}
    ${ui.cell('Who', entry.actor)}
    ${ui.cell('Action', entry.action)}
    ${ui.cell('Target', entry.target)}
    ${ui.cell('Outcome', outcomeBadge(entry.outcome))}
    ${ui.cell('Detail', html`<code class="audit-detail">${entry.detail}</code>`)}
  </tr>`;
}

/** @param {string} id @param {string} label @param {keyof Filters} name @param {string} type @param {string} hint */
function filterField(id, label, name, type, hint) {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <input id=${id} name=${name} type=${type} .value=${view.filters[name]} placeholder=${hint} autocomplete="off" spellcheck="false"
      list=${name === 'actor' ? 'audit-actors' : nothing}>
  </div>`;
}

function actionField() {
  const selected = view.filters.action;
  // A filter typed before the list arrived stays selectable.
  const names = selected && !view.actions.includes(selected) ? [selected, ...view.actions] : view.actions;
  return html`<div class="field">
    <label for="audit-action">Action</label>
    <select id="audit-action" name="action">
      <option value="" ?selected=${!selected}>Any action</option>
      ${names.map((name) => html`<option value=${name} ?selected=${name === selected}>${name}</option>`)}
    </select>
  </div>`;
}

function template() {
  const empty = view.loaded ? 'Nothing recorded matches these filters.' : 'Loading…';
  return html`<div class="panel-head">
      <h2 id="audit-heading" tabindex="-1">Audit trail</h2>
      <p class="panel-intro">Who changed what, newest first: your sign-ins and changes, each API key's (key:name) and the
        expiry timer's. Secrets are never recorded.</p>
    </div>
    <form id="audit-filters" class="inline-form" method="get" novalidate @submit=${applyFilters}>
      ${filterField('audit-actor', 'Who', 'actor', 'text', 'e.g. admin or key:backup')}
      <datalist id="audit-actors">${view.actors.map((actor) => html`<option value=${actor}></option>`)}</datalist>
      ${actionField()}
      ${filterField('audit-from', 'From', 'from', 'date', '')}
      ${filterField('audit-to', 'To', 'to', 'date', '')}
      <button id="audit-apply" class="button button-inline" type="submit" ?disabled=${view.loading}>Apply filters</button>
      <a id="audit-csv" class="button button-secondary button-inline" href=${csvUrl()} download>Download CSV</a>
    </form>
    <table id="audit-table" class="data-table card-table" role="table">
      <caption class="visually-hidden">Audit trail</caption>
      ${ui.tableHead(['Time', 'Who', 'Action', 'Target', 'Outcome', 'Detail'])}
      <tbody role="rowgroup">${view.entries.length ? view.entries.map(entryRow) : ui.emptyRow(6, empty)}</tbody>
    </table>
    <div class="button-row">
      <button id="audit-newer" class="button button-secondary button-inline" type="button"
        ?disabled=${view.loading || view.previousCursors.length === 0} @click=${newer}>Newer</button>
      <span id="audit-page">Page ${view.previousCursors.length + 1}</span>
      <button id="audit-older" class="button button-secondary button-inline" type="button"
        ?disabled=${view.loading || !view.nextCursor} @click=${older}>Older</button>
    </div>
    ${ui.statusLine('audit-status', view.status)}`;
}

function update() {
  if (root) render(template(), root);
}

/** @param {Partial<typeof view>} changes */
function set(changes) {
  Object.assign(view, changes);
  update();
}

/** Loads the page at `cursor` (null: the newest). @param {string | null} cursor */
async function loadPage(cursor) {
  set({ loading: true, status: ui.NO_STATUS });
  /** @type {Record<string, string>} */
  const params = { ...filterParams(view.filters), limit: String(PAGE_SIZE) };
  if (cursor) params.cursor = cursor;
  const url = `${pathFor('/manage/audit')}?${new URLSearchParams(params)}`;
  const answer = await send('GET', url, undefined, REQUEST_TIMEOUT_MS, 'audit');
  if (dropped(answer)) return false;
  const page = /** @type {Partial<AuditPage>} */ (answer.body);
  if (!answer.ok || !Array.isArray(page.items)) {
    set({ loading: false, status: ui.status(`Couldn't load the audit trail: ${failureText(answer)}`, 'error') });
    return false;
  }
  const names = (/** @type {unknown} */ list) =>
    Array.isArray(list) ? list.filter((item) => typeof item === 'string') : [];
  set({
    loading: false,
    loaded: true,
    entries: page.items,
    cursor,
    nextCursor: page.nextCursor ?? null,
    actions: names(page.actions),
    actors: names(page.actors),
  });
  return true;
}

/** @param {SubmitEvent} event */
async function applyFilters(event) {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.currentTarget);
  const value = (/** @type {string} */ name) => String(new FormData(form).get(name) ?? '').trim();
  const filters = { actor: value('actor'), action: value('action'), from: value('from'), to: value('to') };
  /** @type {HTMLInputElement | null} */ (ui.byId('audit-from'))?.setCustomValidity(''); // a To changed since
  if (filters.from && filters.to && filters.from > filters.to) {
    const problem = '“From” is after “To”: choose a From day on or before the To day.';
    set({ status: ui.status(problem, 'error') });
    const from = /** @type {HTMLInputElement | null} */ (ui.byId('audit-from'));
    from?.focus();
    ui.reportAtField(from, problem);
    // Mending To instead of From clears From's mark too.
    ui.byId('audit-to')?.addEventListener('input', () => from?.setCustomValidity(''), { once: true });
    return;
  }
  view.filters = filters;
  view.previousCursors = [];
  await loadPage(null);
}

async function older() {
  const from = view.cursor;
  if (!view.nextCursor) return;
  if (await loadPage(view.nextCursor)) set({ previousCursors: [...view.previousCursors, from] });
}

async function newer() {
  const previous = view.previousCursors.at(-1);
  if (previous === undefined) return;
  if (await loadPage(previous)) set({ previousCursors: view.previousCursors.slice(0, -1) });
}

/** Loads the newest page with the filters on screen. */
export function loadAudit() {
  view.previousCursors = [];
  return loadPage(null);
}

/** @param {HTMLElement} element */
export function mountAudit(element) {
  root = element;
  update();
  // Opening the view shows what happened since it was loaded.
  window.addEventListener('hashchange', () => {
    if (viewFromHash(window.location.hash) === 'audit' && view.loaded)
      void loadPage(null).then(() => set({ previousCursors: [] }));
  });
}

export function resetAudit() {
  Object.assign(view, { filters: { ...NO_FILTERS }, entries: [], cursor: null, previousCursors: [], nextCursor: null });
  Object.assign(view, { loading: false, loaded: false, status: ui.NO_STATUS });
  update();
}
