// @ts-check
/* Pieces every view uses: status lines, badges, table rows that stay a table for screen readers on a phone,
   library checkboxes, focus after a change, and copying to the clipboard. */
import { html, nothing } from '../vendor/lit-html.js';

/** @typedef {'' | 'ok' | 'error'} StatusKind */
/** @typedef {{ text: string, kind: StatusKind }} Status */
/** @typedef {{ kind: string, text: string }} BadgeSpec */

/** @type {Status} */
export const NO_STATUS = Object.freeze({ text: '', kind: '' });

/** @param {string} text @param {StatusKind} [kind] @returns {Status} */
export function status(text, kind = '') {
  return { text, kind };
}

/**
 * A polite live region: its text is announced when it changes.
 * @param {string} id
 * @param {Status} line
 * @param {string} [extraClass]
 */
export function statusLine(id, line, extraClass = 'compact') {
  const kind = line.kind === 'error' ? 'is-error' : line.kind === 'ok' ? 'is-ok' : '';
  return html`<p id=${id} class="status ${extraClass} ${kind}" role="status" aria-live="polite">${line.text}</p>`;
}

/** @param {string} kind @param {string} text */
export function badge(kind, text) {
  return html`<span class="badge badge-${kind}">${text}</span>`;
}

/** @param {Readonly<Record<string, BadgeSpec>>} table @param {string} key @param {string} fallback */
export function statusBadge(table, key, fallback) {
  const known = Object.hasOwn(table, key) ? table[key] : null;
  return known ? badge(known.kind, known.text) : badge('unknown', fallback);
}

/** A row of a data table whose narrow layout shows each cell's label (data-label) before its value. */
export function emptyRow(/** @type {number} */ columns, /** @type {string} */ text) {
  return html`<tr class="empty-row" role="row"><td role="cell" colspan=${columns}>${text}</td></tr>`;
}

/** @param {string} label @param {unknown} content @param {string} [className] */
export function cell(label, content, className = '') {
  return html`<td role="cell" class=${className || nothing} data-label=${label}>${content}</td>`;
}

/** @param {string[]} headings the column headings; an empty one is the actions column, named for screen readers */
export function tableHead(headings) {
  return html`<thead role="rowgroup"><tr role="row">${headings.map(
    (heading) =>
      html`<th scope="col" role="columnheader">${heading || html`<span class="visually-hidden">Actions</span>`}</th>`,
  )}</tr></thead>`;
}

const LIBRARY_TYPES = /** @type {Readonly<Record<string, string>>} */ ({
  movie: 'Movie library',
  show: 'TV library',
  artist: 'Music library',
  photo: 'Photo library',
});

/** @param {string} type */
export function libraryTypeLabel(type) {
  if (Object.hasOwn(LIBRARY_TYPES, type)) return LIBRARY_TYPES[type];
  return type ? `${type.charAt(0).toUpperCase()}${type.slice(1)} library` : 'Library';
}

/**
 * A checkbox for one library (the shared-libraries form's "library", the tier form's "tier-library").
 * @param {{ id: number | string, title: string, type: string }} library
 * @param {string} name
 * @param {boolean} checked
 */
export function libraryOption(library, name, checked) {
  return html`<li><label><input type="checkbox" name=${name} value=${String(library.id)} .checked=${checked}>
    <span class="library-title">${library.title}</span><span class="library-type">${libraryTypeLabel(library.type)}</span>
  </label></li>`;
}

/** @param {string} id */
export function byId(id) {
  return document.getElementById(id);
}

/** Moves focus to the element with this id (after the next render), if it's there and usable. @param {string} id */
export function focusId(id) {
  const target = byId(id);
  if (target && !(target instanceof HTMLButtonElement && target.disabled)) target.focus();
}

/** After a control that had focus was disabled: puts focus back on it, unless the person moved on. @param {string} id */
export function restoreFocus(id) {
  const active = document.activeElement;
  if (!active || active === document.body) focusId(id);
}

/** Marks the input invalid (aria-invalid) or not. @param {Element | null} input @param {boolean} invalid */
export function setInvalid(input, invalid) {
  if (!input) return;
  if (invalid) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/**
 * Shows a problem at the field itself, in the browser's own bubble, besides the view's status line (which may be
 * out of sight above a long list); it clears once the field is changed.
 * @param {HTMLInputElement | HTMLSelectElement | null} input @param {string} message
 */
export function reportAtField(input, message) {
  if (!input) return;
  input.setCustomValidity(message);
  input.reportValidity();
  input.addEventListener('input', () => input.setCustomValidity(''), { once: true });
}

/** Typing in a field marked invalid clears the mark. @param {Event} event */
export function clearInvalidOnInput(event) {
  if (event.target instanceof Element && event.target.hasAttribute('aria-invalid')) setInvalid(event.target, false);
}

/** The form's named control as an input (or select/textarea). @param {HTMLFormElement} form @param {string} name */
export function field(form, name) {
  const control = form.elements.namedItem(name);
  return control instanceof HTMLInputElement ||
    control instanceof HTMLSelectElement ||
    control instanceof HTMLTextAreaElement
    ? control
    : null;
}

/** The values of the form's ticked checkboxes of this name. @param {ParentNode} root @param {string} name */
export function checkedValues(root, name) {
  return new Set(
    [...root.querySelectorAll(`input[name="${name}"]:checked`)].map(
      (box) => /** @type {HTMLInputElement} */ (box).value,
    ),
  );
}

/** Selects a node's text, so it can be copied by hand. @param {Node | null} node */
function selectContents(node) {
  const selection = window.getSelection();
  if (!selection || !node) return false;
  const range = document.createRange();
  range.selectNodeContents(node);
  selection.removeAllRanges();
  selection.addRange(range);
  return true;
}

/**
 * Copies text: the Clipboard API first; where that's missing or refused, the text is selected (and copied with
 * execCommand where that still works). Resolves to whether it was copied.
 * @param {string} text
 * @param {Node | null} shownIn where the text is on screen, to select it
 */
export async function copyText(text, shownIn) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!selectContents(shownIn)) return false;
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

/** Asks before something that can't be undone. @param {string} question */
export function confirmed(question) {
  return window.confirm(question);
}
