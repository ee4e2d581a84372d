// @ts-check
/* The admin pages' shared shell: the section navigation, rendered from routes.js on the dashboard and the
   invite log alike, and on the dashboard the router that shows one view at a time. The view follows
   location.hash, so deep links (/admin#/users) and the back button work without a reload. */
import { html, nothing, render } from '../vendor/lit-html.js';
import { documentTitle, isRouteHash, navItems, viewFromHash } from './routes.js';

/** @typedef {import('./routes.js').NavItem} NavItem */
/** @typedef {import('./routes.js').ViewName} ViewName */

let serverName = '';

/**
 * @param {NavItem[]} items
 * @param {NavItem['name']} current
 */
function navTemplate(items, current) {
  return html`<ul class="view-nav-list">
    ${items.map(
      (item) =>
        html`<li><a class="view-nav-link view-nav-${item.name}" href=${item.href}
          aria-current=${item.name === current ? 'page' : nothing}>${item.label}</a></li>`,
    )}
  </ul>`;
}

/**
 * Shows the named view, hides the others and marks its link as the current page.
 * @param {HTMLElement} nav
 * @param {ViewName} name
 * @param {boolean} moveFocus after the person picked a view: focus it, so a screen reader announces it
 */
function showView(nav, name, moveFocus) {
  /** @type {HTMLElement | null} */
  let shown = null;
  for (const view of document.querySelectorAll('[data-view]')) {
    if (!(view instanceof HTMLElement)) continue;
    view.hidden = view.dataset.view !== name;
    if (!view.hidden) shown = view;
  }
  render(navTemplate(navItems('dashboard'), name), nav);
  document.title = documentTitle(name, serverName);
  if (moveFocus && shown) {
    // A new view starts at the top, header and all, as a new page would.
    window.scrollTo(0, 0);
    shown.focus({ preventScroll: true });
  }
}

/** @param {HTMLElement} nav */
function startRouter(nav) {
  showView(nav, viewFromHash(window.location.hash), false);
  // admin.js says when it learns the server's name (classic script: an event, not an import).
  document.addEventListener('helpr:server-name', (event) => {
    serverName = event instanceof CustomEvent && typeof event.detail === 'string' ? event.detail : '';
    document.title = documentTitle(viewFromHash(window.location.hash), serverName);
  });
  window.addEventListener('hashchange', () => {
    if (!isRouteHash(window.location.hash)) return;
    showView(nav, viewFromHash(window.location.hash), true);
  });
}

function start() {
  const nav = document.getElementById('view-nav');
  if (!nav) return;
  if (nav.dataset.page === 'log') {
    render(navTemplate(navItems('log'), 'log'), nav);
    return;
  }
  startRouter(nav);
}

start();
