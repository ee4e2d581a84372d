// @ts-check
/* Settings → Start watching page: what a guest reads after joining. Markdown per step (empty keeps the default in
   the guest's language), the request app, a community link, house rules and contact, with a live preview rendered
   by the server (sanitised there) as a sample guest would see it. A broken template is shown on its own field.
   A tier picker edits one tier's own steps, house rules and contact card (empty keeps everyone's text, shown as
   the field's placeholder); the preview then shows that tier's page, and a guest on it gets the same. */
import { html, nothing, render } from '../vendor/lit-html.js';
import { asText, dropped, errorCode, failureText, isObject, request } from './api.js';
import { store, subscribe, tierName } from './store.js';
import * as ui from './ui.js';

/** @typedef {import('../types/api').components['schemas']['OnboardingContent']} Content */
/** @typedef {import('../types/api').components['schemas']['TierOnboarding']} TierOverride */
/** @typedef {{ title: string, html: string }} Block */

const STEPS = /** @type {const} */ ([
  ['phone', 'Phone or tablet'],
  ['tv', 'TV'],
  ['computer', 'Computer'],
  ['console', 'Games console'],
  ['accept', 'Accepting the invite'],
]);
const PREVIEW_DELAY_MS = 400;

const view = {
  loaded: false,
  /** @type {Record<string, string>} */
  defaults: {},
  /** @type {Record<string, string>} */
  placeholders: {},
  /** @type {Record<string, string>} */
  requestApps: {},
  /** @type {Record<string, string>} */
  locales: {},
  saving: false,
  /** @type {string} the field a template error is about */
  invalidField: '',
  status: ui.NO_STATUS,
  /** @type {{ steps: Block[], accept: Block | null, cards: (Block & { url: string })[] } | null} */
  preview: null,
  previewError: '',
  /** @type {string} the tier whose overrides the form shows; '' for everyone's page */
  editing: '',
};

/** Everyone's content and each tier's overrides as last typed: the form holds only the section being edited. */
const draft = {
  /** @type {Content} */
  everyone: { steps: {}, rules: '', contact: '' },
  /** @type {Record<string, TierOverride>} */
  tiers: {},
};

/** @type {HTMLElement | null} */
let root = null;
let previewTimer = 0;

/** @param {string} field */
function inputId(field) {
  return `onboarding-${field.replace('.', '-')}`;
}

/** What an empty field means while a tier is edited: everyone's text (or the default). @param {string} field */
function inherited(field) {
  const everyone = draft.everyone;
  if (field === 'rules' || field === 'contact') return everyone[field] || '';
  const step = field.replace('steps.', '');
  return everyone.steps?.[/** @type {keyof NonNullable<Content['steps']>} */ (step)] || view.defaults[step] || '';
}

/** @param {string} field @param {string} label @param {string} [placeholder] */
function markdownField(field, label, placeholder = '') {
  if (view.editing) placeholder = inherited(field);
  const id = inputId(field);
  const invalid = view.invalidField === field;
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <textarea id=${id} name=${field} rows="3" maxlength="4000" spellcheck="true" placeholder=${placeholder || nothing}
      aria-invalid=${invalid ? 'true' : nothing} aria-describedby=${invalid ? 'onboarding-status' : nothing}></textarea>
  </div>`;
}

/** @param {unknown} value @returns {Block} */
function readBlock(value) {
  const data = isObject(value) ? value : {};
  return { title: asText(data.title), html: typeof data.html === 'string' ? data.html : '' };
}

function previewTemplate() {
  const page = view.preview;
  if (view.previewError) return html`<p class="small-note is-error">${view.previewError}</p>`;
  if (!page) return html`<p class="small-note">The preview appears here.</p>`;
  // The HTML is the server's: Markdown rendered in Jinja2's sandbox and sanitised by nh3.
  return html`${page.steps.map((step) => html`<h4>${step.title}</h4><div class="preview-body" .innerHTML=${step.html}></div>`)}
    ${page.accept ? html`<h4>${page.accept.title}</h4><div class="preview-body" .innerHTML=${page.accept.html}></div>` : nothing}
    ${page.cards.map(
      (card) => html`<h4>${card.title}</h4><div class="preview-body" .innerHTML=${card.html}></div>
        ${card.url ? html`<p class="small-note">Links to ${card.url}</p>` : nothing}`,
    )}`;
}

function tierPicker() {
  const editing = view.editing;
  const known = store.tiers.some((tier) => tier.id === editing);
  return html`<div class="field">
    <label for="onboarding-tier">Edit the page for</label>
    <select id="onboarding-tier" aria-describedby="onboarding-tier-hint" ?disabled=${!view.loaded || view.saving}
      @change=${pickTier}>
      <option value="" ?selected=${!editing}>Everyone</option>
      ${store.tiers.map((tier) => html`<option value=${tier.id} ?selected=${tier.id === editing}>Tier: ${tier.name}</option>`)}
      ${editing && !known ? html`<option value=${editing} selected>Tier: ${tierName(editing)}</option>` : nothing}
    </select>
    <p id="onboarding-tier-hint" class="hint">${
      editing
        ? `Guests on the tier “${tierName(editing)}” get these steps, house rules and contact card; an empty field keeps everyone's text (shown greyed).`
        : 'Pick a tier to give its guests their own steps, house rules or contact card.'
    }</p>
  </div>`;
}

function template() {
  const placeholders = Object.entries(view.placeholders);
  const forTier = view.editing !== '';
  return html`<h2 id="onboarding-heading" tabindex="-1">Start watching page</h2>
    <p class="panel-intro">What guests read after they join: how to get Plex on each device, then your cards. Leave a
      step empty for the default text in the guest's language.</p>
    <div class="onboarding-layout">
      <form id="onboarding-form" method="post" novalidate @submit=${save} @input=${changedInput}>
        ${tierPicker()}
        <fieldset class="plain-fieldset" ?disabled=${!view.loaded || view.saving}>
          <legend class="subheading">Steps</legend>
          ${STEPS.map(([step, label]) => markdownField(`steps.${step}`, label, view.defaults[step] ?? ''))}
          ${
            placeholders.length
              ? html`<details class="small-note"><summary>Placeholders you can use</summary>
                <ul>${placeholders.map(([name, meaning]) => html`<li><code>{{ ${name} }}</code>: ${meaning}</li>`)}</ul></details>`
              : nothing
          }
        </fieldset>
        <fieldset class="plain-fieldset" ?disabled=${!view.loaded || view.saving}>
          <legend class="subheading">Cards</legend>
          ${forTier ? html`<p class="hint">The request app and community link are the same for every tier.</p>` : nothing}
          <fieldset class="plain-fieldset form-grid" ?disabled=${forTier}>
            <legend class="visually-hidden">Request app and community link</legend>
            <div class="field">
              <label for="onboarding-requestApp">Request app</label>
              <select id="onboarding-requestApp" name="requestApp">
                <option value="">None</option>
                ${Object.entries(view.requestApps).map(([value, name]) => html`<option value=${value}>${name}</option>`)}
              </select>
            </div>
            <div class="field"><label for="onboarding-requestUrl">Request app address</label>
              <input id="onboarding-requestUrl" name="requestUrl" type="text" inputmode="url" autocomplete="off" spellcheck="false"></div>
            <div class="field"><label for="onboarding-communityLabel">Community name</label>
              <input id="onboarding-communityLabel" name="communityLabel" type="text" maxlength="80" autocomplete="off"></div>
            <div class="field"><label for="onboarding-communityUrl">Community address</label>
              <input id="onboarding-communityUrl" name="communityUrl" type="text" inputmode="url" autocomplete="off" spellcheck="false"></div>
          </fieldset>
          ${markdownField('rules', 'House rules')}
          ${markdownField('contact', 'How to reach you')}
        </fieldset>
        <div class="button-row">
          <button id="save-onboarding" class="button button-inline" type="submit" ?disabled=${!view.loaded || view.saving}>
            ${view.saving ? 'Saving…' : 'Save page'}</button>
        </div>
        ${ui.statusLine('onboarding-status', view.status)}
      </form>
      <section id="onboarding-preview" class="onboarding-preview" aria-labelledby="onboarding-preview-heading">
        <div class="panel-head">
          <h3 id="onboarding-preview-heading" class="subheading">Preview</h3>
          <label class="inline-label" for="onboarding-locale">Language
            <select id="onboarding-locale" @change=${schedulePreview}>
              ${Object.entries(view.locales).map(([code, name]) => html`<option value=${code}>${name}</option>`)}
            </select></label>
        </div>
        <div id="onboarding-preview-body" aria-live="off">${previewTemplate()}</div>
      </section>
    </div>`;
}

function update() {
  if (root) render(template(), root);
}

/** @param {Partial<typeof view>} changes */
function set(changes) {
  Object.assign(view, changes);
  update();
}

function form() {
  return /** @type {HTMLFormElement | null} */ (ui.byId('onboarding-form'));
}

/** The content as typed. @returns {Content} */
function readForm() {
  const onboardingForm = form();
  const value = (/** @type {string} */ name) => (onboardingForm ? (ui.field(onboardingForm, name)?.value ?? '') : '');
  return {
    steps: Object.fromEntries(STEPS.map(([step]) => [step, value(`steps.${step}`)])),
    requestApp: /** @type {Content['requestApp']} */ (value('requestApp')),
    requestUrl: value('requestUrl').trim(),
    communityLabel: value('communityLabel').trim(),
    communityUrl: value('communityUrl').trim(),
    rules: value('rules'),
    contact: value('contact'),
  };
}

/** Keeps what the form holds in the draft of the section being edited. */
function stash() {
  if (!form()) return;
  const typed = readForm();
  const { steps, rules, contact, ...shared } = typed;
  if (view.editing) {
    draft.tiers[view.editing] = { steps, rules, contact };
    Object.assign(draft.everyone, shared);
  } else draft.everyone = typed;
}

/** The whole content to save or preview: everyone's, and the overrides of the tiers that still exist. @returns {Content} */
function fullContent() {
  stash();
  const known = new Set(store.tiers.map((tier) => tier.id));
  /** @type {Record<string, TierOverride>} */
  const tiers = {};
  for (const [id, override] of Object.entries(draft.tiers))
    if (!store.tiersLoaded || known.has(id) || id === view.editing) tiers[id] = override;
  return { ...draft.everyone, tiers };
}

/** Shows a section in the form: everyone's page, or a tier's overrides. @param {string} tierId */
function showSection(tierId) {
  stash();
  view.editing = tierId;
  update();
  const section = tierId ? (draft.tiers[tierId] ?? {}) : draft.everyone;
  fillForm({
    ...draft.everyone,
    steps: section.steps ?? {},
    rules: section.rules ?? '',
    contact: section.contact ?? '',
  });
}

/** @param {Event} event */
function pickTier(event) {
  showSection(/** @type {HTMLSelectElement} */ (event.currentTarget).value);
  set({ invalidField: '', status: ui.NO_STATUS });
  schedulePreview();
}

/** @param {Record<string, unknown>} content */
function fillForm(content) {
  const onboardingForm = form();
  if (!onboardingForm) return;
  const steps = isObject(content.steps) ? content.steps : {};
  for (const [step] of STEPS) {
    const input = ui.field(onboardingForm, `steps.${step}`);
    if (input) input.value = typeof steps[step] === 'string' ? steps[step] : '';
  }
  for (const name of ['requestApp', 'requestUrl', 'communityLabel', 'communityUrl', 'rules', 'contact']) {
    const input = ui.field(onboardingForm, name);
    if (input) input.value = typeof content[name] === 'string' ? content[name] : '';
  }
}

/**
 * Where a refused template goes: its field marked, the server's reason in the status line. A tier's field
 * ("tiers.<id>.rules") is shown in that tier's section when `follow` (a save); else only in the section shown.
 * @param {import('./api.js').Result} answer @param {boolean} follow
 */
function showFieldError(answer, follow) {
  const named = answer.error?.field ?? '';
  const match = /^tiers\.([^.]+)(?:\.(.+))?$/.exec(named);
  const tier = match ? match[1] : '';
  const field = match ? (match[2] ?? '') : named;
  if (tier !== view.editing) {
    if (!follow) return '';
    showSection(tier);
  }
  set({ invalidField: field });
  return field;
}

function changedInput() {
  if (view.invalidField) set({ invalidField: '' });
  schedulePreview();
}

function schedulePreview() {
  window.clearTimeout(previewTimer);
  previewTimer = window.setTimeout(() => void refreshPreview(), PREVIEW_DELAY_MS);
}

async function refreshPreview() {
  const locale = /** @type {HTMLSelectElement | null} */ (ui.byId('onboarding-locale'))?.value || 'en';
  const answer = await request('POST', '/manage/onboarding/preview', {
    body: { ...fullContent(), locale, tierId: view.editing },
    key: 'onboarding-preview',
  });
  if (dropped(answer)) return;
  if (!answer.ok) {
    const field = errorCode(answer) === 'invalid_template' || answer.error?.field ? showFieldError(answer, false) : '';
    set({ previewError: `${field ? '' : "Couldn't show the preview. "}${failureText(answer)}` });
    return;
  }
  const body = answer.body;
  set({
    previewError: '',
    preview: {
      steps: (Array.isArray(body.steps) ? body.steps : []).map(readBlock),
      accept: isObject(body.accept) ? readBlock(body.accept) : null,
      cards: (Array.isArray(body.cards) ? body.cards : [])
        .filter(isObject)
        .map((card) => ({ ...readBlock(card), url: asText(card.url) })),
    },
  });
}

/** @param {SubmitEvent} event */
async function save(event) {
  event.preventDefault();
  if (view.saving) return;
  set({ saving: true, invalidField: '', status: ui.status('Saving the page…') });
  const answer = await request('PUT', '/manage/onboarding', { body: fullContent() });
  if (dropped(answer)) return;
  view.saving = false;
  if (!answer.ok) {
    const field = showFieldError(answer, true);
    set({ status: ui.status(`Couldn't save the page. ${failureText(answer)}`, 'error') });
    if (field) ui.focusId(inputId(field));
    else ui.restoreFocus('save-onboarding');
    return;
  }
  const who = view.editing ? `Guests on the tier “${tierName(view.editing)}” see their` : 'Guests see the new';
  set({ status: ui.status(`Saved. ${who} page from now on.`, 'ok') });
  ui.restoreFocus('save-onboarding');
}

/** Reads the record of strings in an answer. @param {unknown} value @returns {Record<string, string>} */
function strings(value) {
  /** @type {Record<string, string>} */
  const found = {};
  for (const [key, text] of Object.entries(isObject(value) ? value : {}))
    if (typeof text === 'string') found[key] = text;
  return found;
}

export async function loadOnboarding() {
  const answer = await request('GET', '/manage/onboarding', { key: 'onboarding' });
  if (dropped(answer)) return;
  if (!answer.ok || !isObject(answer.body.content)) {
    set({ status: ui.status(`Couldn't load the Start watching page. ${failureText(answer)}`, 'error') });
    return;
  }
  const body = answer.body;
  set({
    loaded: true,
    defaults: strings(body.defaults),
    placeholders: strings(body.placeholders),
    requestApps: strings(body.requestApps),
    locales: strings(body.locales),
  });
  const { tiers, ...everyone } = /** @type {Content} */ (body.content);
  draft.everyone = everyone;
  draft.tiers = isObject(tiers) ? { ...tiers } : {};
  view.editing = '';
  update();
  fillForm(/** @type {Record<string, unknown>} */ (draft.everyone));
  void refreshPreview();
}

export function resetOnboarding() {
  window.clearTimeout(previewTimer);
  Object.assign(view, {
    loaded: false,
    saving: false,
    invalidField: '',
    status: ui.NO_STATUS,
    preview: null,
    previewError: '',
    editing: '',
  });
  draft.everyone = { steps: {}, rules: '', contact: '' };
  draft.tiers = {};
  form()?.reset();
  update();
}

/** @param {HTMLElement} container */
export function mountOnboarding(container) {
  root = container;
  subscribe(update); // the tier picker follows the tier list
  update();
}
