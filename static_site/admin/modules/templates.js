// @ts-check
/* Notifications → Message templates: the title and body each event's message is written from (sandboxed Jinja2 on
   the server), edited per event, or reset to the default. */
import { html, nothing, render } from '../vendor/lit-html.js';
import { dropped, failureText, isObject, request } from './api.js';
import * as ui from './ui.js';

/** @typedef {{ kind: string, description: string }} EventInfo */
/** @typedef {{ title: string, body: string, edited: boolean }} Template */

const view = {
  /** @type {EventInfo[]} */
  events: [],
  /** @type {Record<string, Template>} */
  templates: {},
  /** @type {string} the kind being saved or reset */
  busy: '',
  /** @type {Record<string, import('./ui.js').Status>} */
  status: {},
};

/** @type {HTMLElement | null} */
let root = null;

/** @param {unknown} value @returns {Template} */
function readTemplate(value) {
  const data = isObject(value) ? value : {};
  return {
    title: typeof data.title === 'string' ? data.title : '',
    body: typeof data.body === 'string' ? data.body : '',
    edited: data.edited === true,
  };
}

/** @param {string} kind */
function templateForm(kind) {
  const template = view.templates[kind] ?? { title: '', body: '', edited: false };
  const description = view.events.find((event) => event.kind === kind)?.description ?? kind;
  const busy = view.busy === kind;
  const id = `template-${kind}`;
  return html`<details class="template-item" data-kind=${kind}>
    <summary>${description}${template.edited ? html` ${ui.badge('neutral', 'Edited')}` : nothing}</summary>
    <form id="${id}-form" class="template-form" method="post" novalidate @submit=${(/** @type {SubmitEvent} */ event) => save(event, kind)}>
      <fieldset class="plain-fieldset" ?disabled=${busy}>
        <legend class="visually-hidden">Message for: ${description}</legend>
        <div class="field">
          <label for="${id}-title">Title</label>
          <input id="${id}-title" name="title" type="text" maxlength="4000" spellcheck="false" .value=${template.title}>
        </div>
        <div class="field">
          <label for="${id}-body">Message</label>
          <textarea id="${id}-body" name="body" rows="4" maxlength="4000" spellcheck="false" .value=${template.body}></textarea>
        </div>
        <div class="button-row">
          <button class="button button-inline" type="submit">Save message</button>
          <button class="button button-secondary button-inline" type="button" ?disabled=${!template.edited}
            @click=${() => reset(kind)}>Reset to default</button>
        </div>
      </fieldset>
      ${ui.statusLine(`${id}-status`, view.status[kind] ?? ui.NO_STATUS)}
    </form>
  </details>`;
}

function template() {
  return html`<h2 id="templates-heading">Message templates</h2>
    <p class="panel-intro">What each message says. Placeholders in double braces are filled in when it's sent; an empty message keeps just the title.</p>
    ${Object.keys(view.templates).length ? Object.keys(view.templates).map(templateForm) : html`<p class="small-note">Loading…</p>`}`;
}

function update() {
  if (root) render(template(), root);
}

/** @param {string} kind @param {import('./ui.js').Status} line */
function say(kind, line) {
  view.status = { ...view.status, [kind]: line };
  update();
}

/** @param {SubmitEvent} event @param {string} kind */
async function save(event, kind) {
  event.preventDefault();
  if (view.busy) return;
  const form = /** @type {HTMLFormElement} */ (event.currentTarget);
  const title = ui.field(form, 'title')?.value ?? '';
  const body = ui.field(form, 'body')?.value ?? '';
  if (!title.trim()) {
    say(kind, ui.status('A message needs a title.', 'error'));
    ui.setInvalid(ui.field(form, 'title'), true);
    ui.field(form, 'title')?.focus();
    return;
  }
  view.busy = kind;
  say(kind, ui.status('Saving…'));
  const answer = await request('PUT', '/manage/notifications/templates/{kind}', {
    params: { kind },
    body: { title, body },
  });
  if (dropped(answer)) return;
  view.busy = '';
  if (!answer.ok) {
    say(kind, ui.status(`Couldn't save the message. ${failureText(answer)}`, 'error'));
  } else {
    view.templates = { ...view.templates, [kind]: readTemplate(answer.body) };
    say(kind, ui.status('Saved.', 'ok'));
  }
  /** @type {HTMLElement | null} */ (form.querySelector('button[type=submit]'))?.focus();
}

/** @param {string} kind */
async function reset(kind) {
  if (view.busy || !ui.confirmed('Go back to the default message? Your changes to it are lost.')) return;
  view.busy = kind;
  say(kind, ui.status('Resetting…'));
  const answer = await request('DELETE', '/manage/notifications/templates/{kind}', { params: { kind } });
  if (dropped(answer)) return;
  view.busy = '';
  if (!answer.ok) {
    say(kind, ui.status(`Couldn't reset the message. ${failureText(answer)}`, 'error'));
  } else {
    view.templates = { ...view.templates, [kind]: readTemplate(answer.body) };
    say(kind, ui.status('Back to the default message.', 'ok'));
  }
  ui.focusId(`template-${kind}-title`);
}

/** @param {EventInfo[]} events @param {Record<string, unknown>} templates */
export function showTemplates(events, templates) {
  view.events = events;
  view.templates = Object.fromEntries(Object.entries(templates).map(([kind, value]) => [kind, readTemplate(value)]));
  update();
}

export function resetTemplates() {
  Object.assign(view, { events: [], templates: {}, busy: '', status: {} });
  update();
}

/** @param {HTMLElement} container */
export function mountTemplates(container) {
  root = container;
  update();
}
