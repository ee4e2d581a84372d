// @ts-check
/* Notifications: where the owner hears about invites and trouble. Channels (an Apprise URL each, shown masked,
   with the events it gets, its last result and failures in a row; add, edit, delete, send a test), the delivery
   queue's waiting and given-up (poison) counts, and the message templates (templates.js). */
import { html, nothing, render } from '../vendor/lit-html.js';
import { asText, cleanMessage, dropped, failureText, getJson, isObject, request } from './api.js';
import { formatDateTime, formatNumber, toCount } from './format.js';
import { mountTemplates, resetTemplates, showTemplates } from './templates.js';
import * as ui from './ui.js';

/** @typedef {import('../types/api').components['schemas']['ChannelRequest']} ChannelRequest */
/**
 * @typedef {{ id: string, name: string, url: string, events: string[], signed: boolean, lastResult: string,
 *   lastAt: string, failures: number }} Channel
 */
/** @typedef {{ kind: string, description: string }} EventInfo */

const view = {
  loaded: false,
  configured: true,
  /** @type {Channel[]} */
  channels: [],
  /** @type {EventInfo[]} */
  events: [],
  /** @type {{ waiting: number | null, poison: number | null, error: string }} */
  queue: { waiting: null, poison: null, error: '' },
  /** @type {Channel | null} the channel being edited; null: the form adds one */
  editing: null,
  saving: false,
  /** @type {string} the channel a test or delete is on its way for */
  busy: '',
  signingKey: '',
  status: ui.NO_STATUS,
};

/** @type {HTMLElement | null} */
let root = null;

/** @param {Record<string, unknown>} item @returns {Channel} */
function readChannel(item) {
  return {
    id: asText(item.id),
    name: asText(item.name),
    url: asText(item.url),
    events: Array.isArray(item.events) ? item.events.map(asText).filter(Boolean) : [],
    signed: item.signed === true,
    lastResult: asText(item.lastResult),
    lastAt: asText(item.lastAt),
    failures: toCount(item.failuresInARow),
  };
}

/** @param {string} kind */
function eventLabel(kind) {
  return view.events.find((event) => event.kind === kind)?.description ?? kind.replace(/_/g, ' ');
}

/** @param {Channel} channel */
function resultCell(channel) {
  if (!channel.lastResult) return html`<span class="detail-muted">Nothing sent yet</span>`;
  const when = formatDateTime(channel.lastAt);
  const failed = channel.lastResult.startsWith('failed');
  return html`${ui.badge(failed ? 'fail' : 'ok', failed ? 'Failed' : 'Delivered')}
    ${when ? html` <span class="access-detail">${when}</span>` : nothing}
    ${failed ? html`<span class="access-detail detail-muted">${cleanMessage(channel.lastResult.replace(/^failed:\s*/, ''))}</span>` : nothing}`;
}

/** @param {Channel} channel */
function channelRow(channel) {
  const busy = view.busy === channel.id;
  return html`<tr role="row" data-channel-id=${channel.id}>
    <th scope="row" role="rowheader" class="cell-name">${channel.name || 'Channel'}${channel.signed ? html` ${ui.badge('neutral', 'Signed')}` : nothing}</th>
    ${ui.cell('Address', html`<code class="masked-url">${channel.url}</code>`, 'cell-wide')}
    ${ui.cell(
      'Events',
      channel.events.length
        ? html`<ul class="compact-list event-list">${channel.events.map((kind) => html`<li>${eventLabel(kind)}</li>`)}</ul>`
        : html`<span class="detail-muted">None</span>`,
      'cell-wide',
    )}
    ${ui.cell('Last result', resultCell(channel), 'cell-wide')}
    ${ui.cell('Failures in a row', formatNumber(channel.failures), 'cell-number')}
    <td role="cell" class="cell-actions cell-wide"><div class="row-actions no-wrap">
      <button type="button" class="button button-secondary button-small" data-channel-action="test"
        aria-label="Send test to ${channel.name}" ?disabled=${busy} @click=${() => sendTest(channel)}>Send test</button>
      <button type="button" class="button button-secondary button-small" data-channel-action="edit"
        aria-label="Edit ${channel.name}" ?disabled=${busy} @click=${() => edit(channel)}>Edit</button>
      <button type="button" class="button button-secondary button-small button-danger" data-channel-action="delete"
        aria-label="Delete ${channel.name}" ?disabled=${busy} @click=${() => remove(channel)}>Delete</button>
    </div></td>
  </tr>`;
}

function formTemplate() {
  const editing = view.editing;
  const heading = editing ? `Edit “${editing.name}”` : 'Add a channel';
  return html`<form id="channel-form" class="access-form" method="post" novalidate @submit=${save} @input=${ui.clearInvalidOnInput}>
    <fieldset class="plain-fieldset" ?disabled=${view.saving}>
      <legend id="channel-form-heading" class="subheading" tabindex="-1">${heading}</legend>
      <div class="form-grid">
        <div class="field">
          <label for="channel-name">Name</label>
          <input id="channel-name" name="name" type="text" maxlength="80" autocomplete="off">
        </div>
        <div class="field field-wide">
          <label for="channel-url">Apprise URL${editing ? html` <span class="optional">(leave empty to keep it)</span>` : nothing}</label>
          <input id="channel-url" name="url" type="text" autocomplete="off" spellcheck="false" aria-describedby="channel-url-hint">
          <p id="channel-url-hint" class="hint">For example discord://id/token, ntfy://topic, mailtos://user:pass@example.com or
            json://host/path. Stored encrypted, shown masked.</p>
        </div>
      </div>
      <fieldset class="library-fieldset">
        <legend>Events</legend>
        <ul id="channel-events" class="library-options">${view.events.map(
          (event) => html`<li><label><input type="checkbox" name="events" value=${event.kind}>
            <span class="library-title">${event.description}</span></label></li>`,
        )}</ul>
      </fieldset>
      ${
        editing
          ? nothing
          : html`<div class="check-row"><label class="check-option" for="channel-sign">
            <input id="channel-sign" name="sign" type="checkbox" aria-describedby="channel-sign-hint"><span>Sign each message</span></label>
            <p id="channel-sign-hint" class="hint">json://, form:// and xml:// webhooks only: an HMAC key, shown once.</p></div>`
      }
      <div class="button-row">
        <button id="save-channel-button" class="button button-inline" type="submit">
          ${view.saving ? 'Saving…' : editing ? 'Save channel' : 'Add channel'}</button>
        <button id="cancel-channel-edit" class="button button-secondary button-inline" type="button" ?hidden=${!editing}
          @click=${cancelEdit}>Cancel editing</button>
      </div>
    </fieldset>
  </form>`;
}

function template() {
  const { waiting, poison, error } = view.queue;
  const show = (/** @type {number | null} */ value) => (value === null ? 'Unknown' : formatNumber(value));
  return html`<div class="panel">
      <div class="panel-head">
        <h2 id="notifications-heading" tabindex="-1">Alerts</h2>
        <button id="refresh-notifications" class="button button-secondary button-inline" type="button"
          @click=${() => loadNotifications(true)}>Refresh</button>
      </div>
      <p class="panel-intro">Hear about new guests, failing invites and a broken Plex token where you already look.</p>
      <dl id="notification-queue" class="facts">
        <dt>Waiting to send</dt><dd id="queue-waiting">${show(waiting)}</dd>
        <dt>Given up on</dt><dd id="queue-poison">${show(poison)}${
          poison
            ? html` <span class="detail-muted">(after five tries)</span>
                <button id="resend-given-up" class="button button-secondary button-inline" type="button"
                  ?disabled=${view.busy === 'given-up'} @click=${resendGivenUp}>Send again</button>`
            : nothing
        }</dd>
      </dl>
      ${view.loaded && !view.configured ? html`<p class="notice">No queue is configured, so nothing is sent. ${error}</p>` : nothing}
      ${view.loaded && view.configured && error ? html`<p class="small-note">${error}</p>` : nothing}
      ${ui.statusLine('notifications-status', view.status)}
      <div id="signing-key" class="new-link" ?hidden=${!view.signingKey}>
        <p id="signing-key-label" class="new-link-label">The channel's signing key, shown only now. Put it in your receiver:</p>
        <code id="signing-key-value" class="link-url-box">${view.signingKey}</code>
      </div>
      <h3 class="subheading">Channels</h3>
      <table id="channels-table" class="data-table card-table" role="table">
        <caption class="visually-hidden">Notification channels</caption>
        ${ui.tableHead(['Name', 'Address', 'Events', 'Last result', 'Failures in a row', ''])}
        <tbody role="rowgroup">${
          view.channels.length
            ? view.channels.map(channelRow)
            : ui.emptyRow(6, view.loaded ? 'No channels yet. Add one below.' : 'Loading…')
        }</tbody>
      </table>
      ${formTemplate()}
    </div>
    <section id="templates-panel" class="panel" aria-labelledby="templates-heading"></section>`;
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
  return /** @type {HTMLFormElement | null} */ (ui.byId('channel-form'));
}

/** @param {Channel | null} channel */
function fillForm(channel) {
  const channelForm = form();
  channelForm?.reset();
  set({ editing: channel });
  if (!channel || !channelForm) return;
  /** @type {HTMLInputElement} */ (ui.field(channelForm, 'name')).value = channel.name;
  for (const box of channelForm.querySelectorAll('input[name="events"]')) {
    /** @type {HTMLInputElement} */ (box).checked = channel.events.includes(
      /** @type {HTMLInputElement} */ (box).value,
    );
  }
}

/** @param {Channel} channel */
function edit(channel) {
  fillForm(channel);
  set({ status: ui.NO_STATUS, signingKey: '' });
  ui.focusId('channel-name');
}

function cancelEdit() {
  fillForm(null);
  ui.focusId('notifications-heading');
}

/** @param {SubmitEvent} event */
async function save(event) {
  event.preventDefault();
  const channelForm = form();
  if (!channelForm || view.saving) return;
  const editing = view.editing;
  const name = (ui.field(channelForm, 'name')?.value ?? '').trim();
  const url = (ui.field(channelForm, 'url')?.value ?? '').trim();
  if (!editing && !url) {
    set({ status: ui.status('Enter the Apprise URL messages go to.', 'error') });
    ui.setInvalid(ui.byId('channel-url'), true);
    ui.focusId('channel-url');
    return;
  }
  /** @type {ChannelRequest} */
  const body = { name, events: [...ui.checkedValues(channelForm, 'events')] };
  if (url) body.url = url;
  if (!editing) body.sign = /** @type {HTMLInputElement} */ (ui.field(channelForm, 'sign')).checked;
  set({ saving: true, status: ui.status('Saving the channel…'), signingKey: '' });
  const answer = editing
    ? await request('PUT', '/manage/notifications/channels/{channelId}', { params: { channelId: editing.id }, body })
    : await request('POST', '/manage/notifications/channels', { body });
  if (dropped(answer)) return;
  view.saving = false;
  if (!answer.ok || !asText(answer.body.id)) {
    const fieldName = answer.error?.field ?? '';
    set({ status: ui.status(`Couldn't save the channel. ${failureText(answer)}`, 'error') });
    const inputId = fieldName === 'url' || fieldName === 'name' || fieldName === 'sign' ? `channel-${fieldName}` : '';
    if (inputId) {
      ui.setInvalid(ui.byId(inputId), true);
      ui.focusId(inputId);
    } else {
      ui.restoreFocus('save-channel-button');
    }
    return;
  }
  const saved = readChannel(answer.body);
  fillForm(null);
  set({
    status: ui.status(`${editing ? 'Saved' : 'Added'} the channel “${saved.name}”.`, 'ok'),
    signingKey: asText(answer.body.signingKey),
  });
  await loadNotifications(false);
  ui.restoreFocus('save-channel-button');
}

/** @param {Channel} channel */
async function sendTest(channel) {
  set({ busy: channel.id, status: ui.status(`Sending a test to “${channel.name}”…`) });
  const answer = await request('POST', '/manage/notifications/channels/{channelId}/test', {
    params: { channelId: channel.id },
  });
  if (dropped(answer)) return;
  view.busy = '';
  if (!answer.ok) {
    set({ status: ui.status(`Couldn't send the test. ${failureText(answer)}`, 'error') });
  } else {
    if (isObject(answer.body.channel)) {
      const updated = readChannel(answer.body.channel);
      view.channels = view.channels.map((entry) => (entry.id === updated.id ? updated : entry));
    }
    set({
      status:
        answer.body.delivered === true
          ? ui.status(`Test sent to “${channel.name}”.`, 'ok')
          : ui.status(
              `The test to “${channel.name}” failed: ${cleanMessage(answer.body.error) || 'no reason given'}.`,
              'error',
            ),
    });
  }
  ui.restoreFocus('notifications-heading');
}

/** Puts the messages given up on back in the queue, once the channel that failed them works again. */
async function resendGivenUp() {
  set({ busy: 'given-up', status: ui.status('Sending the given-up messages again…') });
  const answer = await request('POST', '/manage/notifications/given-up/resend', {});
  if (dropped(answer)) return;
  view.busy = '';
  if (!answer.ok) {
    set({ status: ui.status(`Couldn't send them again. ${failureText(answer)}`, 'error') });
  } else {
    const queue = isObject(answer.body.queue) ? answer.body.queue : {};
    const count = (/** @type {unknown} */ value) => (typeof value === 'number' ? value : null);
    set({
      queue: { waiting: count(queue.waiting), poison: count(queue.poison), error: cleanMessage(queue.error) },
      status: ui.status(
        `${formatNumber(toCount(answer.body.resent))} sent again. Channels that already had a message don't get it twice.`,
        'ok',
      ),
    });
  }
  ui.restoreFocus('notifications-heading');
}

/** @param {Channel} channel */
async function remove(channel) {
  if (!ui.confirmed(`Delete the channel “${channel.name}”? It gets no more messages.`)) return;
  set({ busy: channel.id, status: ui.status(`Deleting “${channel.name}”…`) });
  const answer = await request('DELETE', '/manage/notifications/channels/{channelId}', {
    params: { channelId: channel.id },
  });
  if (dropped(answer)) return;
  view.busy = '';
  if (!answer.ok) {
    set({ status: ui.status(`Couldn't delete the channel. ${failureText(answer)}`, 'error') });
    return;
  }
  if (view.editing?.id === channel.id) fillForm(null);
  set({
    channels: view.channels.filter((entry) => entry.id !== channel.id),
    status: ui.status(`Deleted the channel “${channel.name}”.`, 'ok'),
  });
  ui.focusId('notifications-heading');
}

/** Loads channels, events, templates and the queue's counts. @param {boolean} announce say when it's done */
export async function loadNotifications(announce) {
  const answer = await getJson('/manage/notifications', { key: 'notifications' });
  if (dropped(answer)) return;
  const data = answer.data;
  if (!data) {
    set({ status: ui.status(`Couldn't load the notification settings. ${failureText(answer)}`, 'error') });
    return;
  }
  view.events = data.events;
  set({
    loaded: true,
    configured: data.configured,
    channels: data.channels.map(readChannel),
    queue: {
      waiting: data.queue.waiting ?? null,
      poison: data.queue.poison ?? null,
      error: cleanMessage(data.queue.error),
    },
    status: announce ? ui.status('Notification settings updated.', 'ok') : view.status,
  });
  showTemplates(view.events, data.templates);
}

export function resetNotifications() {
  Object.assign(view, {
    loaded: false,
    channels: [],
    events: [],
    editing: null,
    saving: false,
    busy: '',
    signingKey: '',
  });
  view.status = ui.NO_STATUS;
  view.queue = { waiting: null, poison: null, error: '' };
  form()?.reset();
  update();
  resetTemplates();
}

/** @param {HTMLElement} container */
export function mountNotifications(container) {
  root = container;
  update();
  mountTemplates(/** @type {HTMLElement} */ (ui.byId('templates-panel')));
}
