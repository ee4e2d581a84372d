// @ts-check
/* The admin app's views and how a URL names one: /admin#/users. Pure, so it is unit-tested with node --test. */

/** @typedef {'overview' | 'invites' | 'users' | 'tiers' | 'notifications' | 'audit' | 'settings'} ViewName */
/** @typedef {{ name: ViewName | 'log', label: string, title: string, href: string }} NavItem */

/** @type {readonly ViewName[]} */
export const VIEW_NAMES = Object.freeze([
  'overview',
  'invites',
  'users',
  'tiers',
  'notifications',
  'audit',
  'settings',
]);

/** @type {ViewName} */
export const DEFAULT_VIEW = 'overview';

export const DASHBOARD_PATH = '/admin';
export const LOG_PATH = '/admin/log';

/** @type {Readonly<Record<ViewName, { label: string, title: string }>>} */
const VIEW_TEXT = Object.freeze({
  overview: { label: 'Overview', title: 'Overview' },
  invites: { label: 'Invites', title: 'Invite links' },
  users: { label: 'Users', title: 'Users' },
  tiers: { label: 'Tiers', title: 'Tiers' },
  notifications: { label: 'Alerts', title: 'Alerts' },
  audit: { label: 'Audit', title: 'Audit trail' },
  settings: { label: 'Settings', title: 'Settings' },
});

/** Other names a view goes by: the navigation calls the notifications view "Alerts". @type {Readonly<Record<string, ViewName>>} */
const VIEW_ALIASES = Object.freeze({ alerts: 'notifications' });

/**
 * @param {string} value
 * @returns {value is ViewName}
 */
export function isViewName(value) {
  return /** @type {readonly string[]} */ (VIEW_NAMES).includes(value);
}

/**
 * The view a location hash names ("#/users", "#users", "#/users/anything"); the overview for anything else.
 * @param {string} hash
 * @returns {ViewName}
 */
export function viewFromHash(hash) {
  const typed = hash.replace(/^#\/?/, '').split(/[/?]/, 1)[0].toLowerCase();
  const name = VIEW_ALIASES[typed] ?? typed;
  return isViewName(name) ? name : DEFAULT_VIEW;
}

/**
 * Whether a hash names a view at all: "#dashboard-main" (the skip link's target) isn't a route, so following it
 * keeps the view on screen.
 * @param {string} hash
 * @returns {boolean}
 */
export function isRouteHash(hash) {
  return hash === '' || hash === '#' || hash.startsWith('#/');
}

/**
 * @param {ViewName} name
 * @returns {string}
 */
export function hashFor(name) {
  return `#/${name}`;
}

/**
 * The document title for a view: the view, then the Plex server's name once the dashboard has it.
 * @param {ViewName | 'log'} name
 * @param {string} [serverName]
 * @returns {string}
 */
export function documentTitle(name, serverName = '') {
  const title = name === 'log' ? 'Invite log' : VIEW_TEXT[name].title;
  return serverName ? `${title} · ${serverName} · Helpr admin` : `${title} · Helpr admin`;
}

/**
 * The navigation's entries: every view, then the invite log (its own page). Links are page-relative on the
 * dashboard (a hash change, no reload) and absolute from the log page.
 * @param {'dashboard' | 'log'} page
 * @returns {NavItem[]}
 */
export function navItems(page) {
  const base = page === 'dashboard' ? '' : DASHBOARD_PATH;
  /** @type {NavItem[]} */
  const items = VIEW_NAMES.map((name) => ({ name, ...VIEW_TEXT[name], href: base + hashFor(name) }));
  items.push({ name: 'log', label: 'Log', title: 'Invite log', href: LOG_PATH });
  return items;
}
