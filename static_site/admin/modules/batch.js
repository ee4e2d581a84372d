// @ts-check
/* Batch invite: upload a CSV (Plex username or email, optional tier, optional days), review each row's check,
   start sending, watch the progress (it survives a reload: the running batch is found again in the recent list),
   cancel, and download the results. */
import { html, nothing, render } from '../vendor/lit-html.js';
import { dropped, failureText, getJson, pathFor, request, send } from './api.js';
import * as ui from './ui.js';

/** @typedef {import('./api.js').Schemas['BatchProgress']} BatchProgress */
/** @typedef {import('./api.js').Schemas['BatchRow']} BatchRow */

const POLL_MS = 1500;
const SHOWN_ROWS = 200;
const STATE_TEXT = /** @type {Readonly<Record<string, string>>} */ ({
  review: 'checked, not started',
  running: 'sending',
  done: 'finished',
  cancelled: 'cancelled',
});
const ROW_STATUS = Object.freeze({
  ok: { kind: 'ok', text: 'Ready' },
  pending: { kind: 'unknown', text: 'Waiting' },
  sending: { kind: 'unknown', text: 'Sending' },
  done: { kind: 'ok', text: 'Invited' },
  failed: { kind: 'error', text: 'Failed' },
  skipped: { kind: 'unknown', text: 'Skipped' },
});

const view = {
  /** @type {BatchProgress | null} */
  current: null,
  busy: false,
  status: ui.NO_STATUS,
  /** @type {number | undefined} */
  timer: undefined,
};
/** @type {HTMLElement | null} */
let root = null;

function update() {
  if (root) render(template(), root);
}

function template() {
  const current = view.current;
  return html`
    <div class="panel-head">
      <h3 id="batch-heading" class="subheading" tabindex="-1">Batch invite</h3>
    </div>
    <form id="batch-form" class="access-form" @submit=${upload}>
      <fieldset class="plain-fieldset" ?disabled=${view.busy}>
        <legend class="visually-hidden">Invite a list of people from a CSV file</legend>
        <div class="field">
          <label for="batch-file">CSV file</label>
          <input id="batch-file" name="file" type="file" accept=".csv,text/csv" required aria-describedby="batch-file-hint" />
          <p id="batch-file-hint" class="hint">
            One Plex username or email per line, then optionally a tier (its name or id) and days of access, e.g.
            <code>alice@example.com,Default,30</code>. At most 2,000 rows (256 KB). Every row's name, tier and days are
            checked first, and whether the server already shares with them; Plex says whether a username exists when
            its row is sent. Nothing is sent until you start.
          </p>
        </div>
        <div class="button-row">
          <button id="batch-check" class="button button-inline" type="submit">${view.busy ? 'Working…' : 'Check the file'}</button>
        </div>
      </fieldset>
    </form>
    ${ui.statusLine('batch-status', view.status)} ${current ? batchTemplate(current) : nothing}
  `;
}

/** @param {BatchProgress} progress */
function batchTemplate(progress) {
  const { batch, counts } = progress;
  const sent = counts.done + counts.failed;
  const ready = counts.total - counts.skipped;
  const summary = `${counts.done} invited, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.pending} waiting of ${counts.total}`;
  const results = `${pathFor('/manage/batches/{batchId}', { batchId: batch.id })}?format=csv`;
  return html`
    <h4 id="batch-name" class="subheading">${batch.name}: ${STATE_TEXT[batch.state] ?? batch.state}</h4>
    ${
      batch.state === 'review'
        ? html`<p>${ready} of ${counts.total} rows are ready; ${counts.skipped} will be skipped (the reasons are below).</p>
          <div class="button-row">
            <button id="batch-start" class="button button-inline" type="button" ?disabled=${view.busy || !ready} @click=${start}>
              Start sending ${ready} invites
            </button>
            <button id="batch-discard" class="button button-secondary button-inline" type="button" ?disabled=${view.busy} @click=${cancel}>
              Discard
            </button>
          </div>`
        : html`<div class="field">
            <label for="batch-progress">Sent ${sent} of ${ready}: ${progress.percent}%</label>
            <progress id="batch-progress" max="100" value=${progress.percent}>${progress.percent}%</progress>
            <p id="batch-summary" class="hint" aria-live="polite">${summary}${
              batch.state === 'running' && !sent ? '. Queued: the first invites go out within a few seconds.' : ''
            }</p>
          </div>
          <div class="button-row">
            ${
              batch.state === 'running'
                ? html`<button id="batch-cancel" class="button button-secondary button-inline" type="button" ?disabled=${view.busy}
                  @click=${cancel}>Cancel the rest</button>`
                : nothing
            }
            <a id="batch-results" class="button button-secondary button-inline" href=${results} download>Download the results (CSV)</a>
          </div>`
    }
    ${rowsTable(progress.rows)}
  `;
}

/** @param {BatchRow[]} rows */
function rowsTable(rows) {
  if (!rows.length) return nothing;
  // Problems first: they are what the owner reads.
  const shown = [
    ...rows.filter((row) => row.status === 'failed' || row.status === 'skipped'),
    ...rows.filter((row) => row.status !== 'failed' && row.status !== 'skipped'),
  ].slice(0, SHOWN_ROWS);
  return html`
    ${
      rows.length > SHOWN_ROWS
        ? html`<p class="hint">Problems first, then the rest: ${SHOWN_ROWS} of ${rows.length} rows. The results file has them all.</p>`
        : nothing
    }
    <table id="batch-rows" class="data-table card-table" role="table">
      <caption class="visually-hidden">Rows of the file, problems first</caption>
      ${ui.tableHead(['Line', 'Username or email', 'Tier', 'Days', 'Status', 'Why'])}
      <tbody role="rowgroup">
        ${shown.map(
          (row) => html`<tr role="row">
            ${ui.cell('Line', String(row.line))} ${ui.cell('Username or email', row.identifier)} ${ui.cell('Tier', row.tier || 'Default')}
            ${ui.cell('Days', row.days || '—')} ${ui.cell('Status', ui.statusBadge(ROW_STATUS, row.status, row.status))}
            ${ui.cell('Why', row.message)}
          </tr>`,
        )}
      </tbody>
    </table>
  `;
}

/** @param {SubmitEvent} event */
async function upload(event) {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (ui.byId('batch-file'));
  const file = input.files?.[0];
  if (!file) return;
  view.busy = true;
  view.status = ui.status('Checking the file…');
  update();
  const answer = await send('POST', `${pathFor('/manage/batches')}?name=${encodeURIComponent(file.name)}`, file);
  view.busy = false;
  if (dropped(answer)) return;
  if (!answer.ok) {
    view.status = ui.status(`Couldn't use the file: ${failureText(answer)}`, 'error');
  } else {
    view.current = /** @type {BatchProgress} */ (answer.body);
    const plexError = view.current.plexError;
    view.status = plexError
      ? ui.status(
          `Checked, but Plex couldn't say who already has access (${plexError}). A row for someone the server already shares with will fail when sent, with Plex's reason.`,
          'error',
        )
      : ui.status('Checked. Review the rows, then start sending.', 'ok');
  }
  update();
}

async function start() {
  await act('/manage/batches/{batchId}/start', 'Sending in the background: you can leave this page and come back.');
}

async function cancel() {
  await act('/manage/batches/{batchId}/cancel', 'Cancelled: the rows not sent yet are skipped.');
}

/** @param {'/manage/batches/{batchId}/start' | '/manage/batches/{batchId}/cancel'} path @param {string} done */
async function act(path, done) {
  if (!view.current) return;
  view.busy = true;
  update();
  const answer = await request('POST', path, { params: { batchId: view.current.batch.id } });
  view.busy = false;
  if (dropped(answer)) return;
  if (!answer.ok) {
    view.status = ui.status(failureText(answer), 'error');
  } else {
    view.current = /** @type {BatchProgress} */ (answer.body);
    view.status = ui.status(done, 'ok');
    poll();
  }
  update();
}

/** Polls a running batch's counts (not its rows) until it has finished; then reads its rows once more. */
function poll() {
  clearTimeout(view.timer);
  if (view.current?.batch.state !== 'running') return;
  view.timer = window.setTimeout(async () => {
    const current = view.current;
    if (!current) return;
    const url = `${pathFor('/manage/batches/{batchId}', { batchId: current.batch.id })}?rows=none`;
    const answer = await send('GET', url, undefined, undefined, 'batch-poll');
    if (dropped(answer) || view.current?.batch.id !== current.batch.id) return;
    if (answer.ok) {
      const counts = /** @type {BatchProgress} */ (answer.body);
      view.current = { ...counts, rows: current.rows };
      if (counts.batch.state !== 'running') {
        const full = await getJson('/manage/batches/{batchId}', {
          params: { batchId: current.batch.id },
          key: 'batch-poll',
        });
        if (full.data && view.current?.batch.id === current.batch.id) view.current = full.data;
        view.status = ui.status('The batch has finished. Download the results for every row.', 'ok');
      }
      update();
    }
    poll();
  }, POLL_MS);
}

/** Shows a batch after a reload: the newest one under review or running, else the newest finished one (its
    results stay downloadable). */
export async function loadBatches() {
  const answer = await getJson('/manage/batches', { key: 'batches' });
  if (!answer.data || view.current) return;
  const items = answer.data.items;
  const open = items.find((batch) => batch.state === 'running' || batch.state === 'review') ?? items[0];
  if (!open) return;
  const progress = await getJson('/manage/batches/{batchId}', { params: { batchId: open.id }, key: 'batch-poll' });
  if (!progress.data || view.current) return;
  view.current = progress.data;
  update();
  poll();
}

export function resetBatches() {
  clearTimeout(view.timer);
  Object.assign(view, { current: null, busy: false, status: ui.NO_STATUS, timer: undefined });
  update();
}

/** @param {HTMLElement} container */
export function mountBatches(container) {
  root = container;
  update();
}
