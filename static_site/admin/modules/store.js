// @ts-check
/* What several views show: the session, the Plex status, the server's libraries, the tiers and whether guests
   need a code. A view changes it through these functions; every subscribed view then renders again (lit-html
   only touches what changed). */
import { asText, isObject } from './api.js';

/** @typedef {{ username: string, csrfToken: string, expiresAt: string, totpEnabled: boolean }} Session */
/** @typedef {{ id: number | string, title: string, type: string, selected: boolean }} Library */
/** @typedef {{ items: Library[], fetchedAt: string, sharesAll: boolean }} Libraries */
/**
 * @typedef {{ id: string, name: string, sectionIds: (number | string)[], allowSync: boolean,
 *   allowCameraUpload: boolean, allowChannels: boolean, syncWatchState: boolean, optOutOnlineMedia: boolean,
 *   isDefault: boolean }} Tier
 */
/** @typedef {{ required: boolean, globalCodeSet: boolean }} CodeRequired */

export const DEFAULT_TIER_ID = 'default';

export const store = {
  /** @type {Session | null} */
  session: null,
  /** @type {Record<string, unknown>} the dashboard's plex object */
  plex: {},
  /** @type {Libraries | null} */
  libraries: null,
  /** @type {Tier[]} */
  tiers: [],
  tiersLoaded: false,
  /** @type {CodeRequired | null} */
  codeRequired: null,
  /** @type {number | null} people whose Plex invite is still pending (null: the users list isn't loaded) */
  pendingAcceptances: null,
};

/** @type {Set<() => void>} */
const listeners = new Set();

/** @param {() => void} render */
export function subscribe(render) {
  listeners.add(render);
}

export function changed() {
  for (const render of listeners) render();
}

/** @param {unknown} body @returns {Session | null} */
export function readSession(body) {
  if (!isObject(body) || typeof body.csrfToken !== 'string' || !body.csrfToken) return null;
  return {
    username: asText(body.username) || 'owner',
    csrfToken: body.csrfToken,
    expiresAt: asText(body.expiresAt),
    totpEnabled: body.totpEnabled === true,
  };
}

/** @param {unknown} value @returns {Libraries} */
export function readLibraries(value) {
  const data = isObject(value) ? value : {};
  const items = Array.isArray(data.items) ? data.items : [];
  return {
    items: items
      .filter((item) => isObject(item) && (typeof item.id === 'number' || typeof item.id === 'string'))
      .map((item) => ({
        id: /** @type {number | string} */ (item.id),
        title: asText(item.title) || `Library ${item.id}`,
        type: asText(item.type),
        selected: item.selected === true,
      })),
    fetchedAt: asText(data.fetchedAt),
    sharesAll: data.sharesAll === true,
  };
}

/** @param {Record<string, unknown>} item @returns {Tier} */
export function readTier(item) {
  const id = asText(item.id);
  return {
    id,
    name: asText(item.name) || id,
    sectionIds: Array.isArray(item.sectionIds)
      ? item.sectionIds.filter((value) => typeof value === 'number' || typeof value === 'string')
      : [],
    allowSync: item.allowSync === true,
    allowCameraUpload: item.allowCameraUpload === true,
    allowChannels: item.allowChannels === true,
    syncWatchState: item.syncWatchState === true,
    optOutOnlineMedia: item.optOutOnlineMedia === true,
    isDefault: item.isDefault === true || id === DEFAULT_TIER_ID,
  };
}

/** The titles of the libraries new invites share. @param {Libraries} data */
export function sharedTitles(data) {
  return data.items.filter((library) => data.sharesAll || library.selected).map((library) => library.title);
}

/** @param {number | string} id */
export function libraryTitle(id) {
  const found = store.libraries?.items.find((library) => String(library.id) === String(id));
  return found ? found.title : `Library ${id}`;
}

/** @param {string} id */
export function findTier(id) {
  return store.tiers.find((tier) => tier.id === id) ?? null;
}

/** @param {string} id */
export function tierName(id) {
  return findTier(id)?.name ?? id;
}

/** The tiers to choose from; the default tier while the list isn't loaded. */
export function tierChoices() {
  return store.tiers.length ? store.tiers : [{ id: DEFAULT_TIER_ID, name: 'Default' }];
}

/** Everything a session knew, forgotten on sign-out. */
export function clearStore() {
  store.session = null;
  store.plex = {};
  store.libraries = null;
  store.tiers = [];
  store.tiersLoaded = false;
  store.codeRequired = null;
  store.pendingAcceptances = null;
}
