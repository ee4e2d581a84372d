// @ts-check
/* The Users view's state, shared by its modules: the list (users.js), one person's changes and adopting
   (users-actions.js), changes to the people selected (users-bulk.js) and the comparison with Plex
   (reconciliation.js). users.js renders the view and loads the list; the others call update() and reload(). */
import * as ui from './ui.js';

/** @typedef {import('../types/api').components['schemas']['UserList']} UserList */
/** @typedef {UserList['items'][number]} User */
/** @typedef {UserList['facets']} Facets */
/** @typedef {'name' | 'tier' | 'status' | 'expires' | 'granted'} SortKey */

export const PAGE_SIZE = 50;
export const MAX_ACCESS_DAYS = 3650;

/** @returns {Facets} */
function noFacets() {
  return { status: {}, plexStatus: {}, tier: {}, flags: { endingSoon: 0, moreTime: 0 } };
}

export function freshQuery() {
  return {
    q: '',
    tier: '',
    status: '',
    plexStatus: '',
    endingSoon: false,
    moreTime: false,
    /** @type {SortKey} */
    sort: 'granted',
    order: /** @type {'asc' | 'desc'} */ ('desc'),
    page: 1,
  };
}

export function freshView() {
  return {
    /** @type {User[]} */
    users: [],
    total: 0,
    facets: noFacets(),
    /** the plex.tv share list the server read for this list: paging and filtering reuse it */
    snapshot: '',
    query: freshQuery(),
    loaded: false,
    loading: false,
    /** the person a change is on its way for */
    changing: '',
    /** @type {string} */
    action: '',
    status: ui.NO_STATUS,
    /** @type {Set<string>} the people selected for a change to many */
    selected: new Set(),
  };
}

export const view = freshView();

let render = () => {};
/** @type {(quiet: boolean) => Promise<void>} */
let load = async () => {};

/** users.js says how the view is drawn and loaded. @param {() => void} draw @param {(quiet: boolean) => Promise<void>} loader */
export function connect(draw, loader) {
  render = draw;
  load = loader;
}

export function update() {
  render();
}

/** @param {Partial<typeof view>} changes */
export function set(changes) {
  Object.assign(view, changes);
  render();
}

/** Loads the current page again (after a change), keeping the status line. */
export function reload() {
  return load(true);
}

/** @param {string} identifier */
export function rowOf(identifier) {
  return document.querySelector(`#users-table tr[data-identifier="${CSS.escape(identifier)}"]`);
}

/** The end of the chosen day, where the owner is, as the API takes it. @param {string} day yyyy-mm-dd */
export function endOfDay(day) {
  const date = new Date(`${day}T23:59:00`);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}
