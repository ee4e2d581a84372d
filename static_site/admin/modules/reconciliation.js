// @ts-check
/* Compare with Plex (in the Users view): what differs between the portal's records and plex.tv, read on request,
   each finding with its one-click fixes. Shares removed in Plex's own apps (forget, or invite again), libraries
   that no longer match the tier (put the tier back), and invites not accepted after N days (invite again, or
   withdraw: the invite link gets its use back). */
import { html, nothing } from '../vendor/lit-html.js';
import { asText, cleanMessage, dropped, failureText, PLEX_TIMEOUT_MS, pathFor, request, send } from './api.js';
import { plural, readWhole } from './format.js';
import * as ui from './ui.js';
import { reload, update } from './users-state.js';

/** @typedef {import('../types/api').components['schemas']['Finding']} Finding */
/** @typedef {import('../types/api').components['schemas']['FixKind']} FixKind */

const KINDS = Object.freeze({
  share_removed: 'No share on Plex any more',
  libraries_differ: 'Libraries differ from the tier',
  pending_stale: 'Invite not accepted',
});
const FIXES = Object.freeze({
  reapply: 'Re-apply tier',
  forget: 'Forget',
  resend: 'Re-send invite',
  withdraw: 'Withdraw invite',
});
const DEFAULT_STALE_DAYS = 14;

const state = {
  /** @type {Finding[]} */
  findings: [],
  checked: false,
  checking: false,
  /** the finding a fix is on its way for: kind and identifier */
  fixing: '',
  status: ui.NO_STATUS,
};

export function resetReconciliation() {
  Object.assign(state, { findings: [], checked: false, checking: false, fixing: '', status: ui.NO_STATUS });
}

/** @param {Partial<typeof state>} changes */
function set(changes) {
  Object.assign(state, changes);
  update();
}

/** @param {Finding} finding */
function findingItem(finding) {
  const key = `${finding.kind}:${finding.identifier}`;
  const busy = state.fixing === key;
  return html`<li class="finding" data-kind=${finding.kind} data-identifier=${finding.identifier}>
    <p class="finding-head">${ui.badge(finding.kind === 'libraries_differ' ? 'unknown' : 'fail', KINDS[finding.kind])}
      <span class="cell-who">${finding.identifier}</span> <span class="detail-muted">(${finding.tierName})</span></p>
    <p class="finding-detail">${finding.detail}</p>
    <div class="row-actions">${finding.fixes.map(
      (fix) => html`<button type="button" class="button button-secondary button-small" data-fix=${fix}
        aria-label="${FIXES[fix]} for ${finding.identifier}" ?disabled=${busy || state.checking}
        @click=${() => applyFix(finding, fix)}>${FIXES[fix]}</button>`,
    )}</div>
  </li>`;
}

export function reconciliationSection() {
  return html`<section class="reconciliation" aria-labelledby="reconciliation-heading">
    <h3 id="reconciliation-heading" tabindex="-1">Compare with Plex</h3>
    <p class="panel-intro">Finds shares removed in Plex's own apps, libraries that no longer match a tier, and invites
      nobody accepted. Each check reads your shares from plex.tv.</p>
    <div class="row-actions">
      <div class="action-group">
        <label class="unit" for="stale-days">Invites are old after</label>
        <input id="stale-days" class="input-small" type="number" min="1" max="365" step="1" inputmode="numeric"
          value=${DEFAULT_STALE_DAYS} ?disabled=${state.checking}>
        <span class="unit">days</span>
      </div>
      <button id="check-plex" type="button" class="button button-secondary button-small" ?disabled=${state.checking}
        aria-busy=${state.checking ? 'true' : 'false'} @click=${check}>${state.checking ? 'Checking…' : 'Check now'}</button>
    </div>
    ${ui.statusLine('reconciliation-status', state.status)}
    ${
      state.findings.length
        ? html`<ul id="reconciliation-list" class="finding-list">${state.findings.map(findingItem)}</ul>`
        : nothing
    }
  </section>`;
}

async function check() {
  const input = /** @type {HTMLInputElement | null} */ (document.getElementById('stale-days'));
  const days = readWhole(input?.value ?? '', 1, 365);
  if (days === null) {
    set({ status: ui.status('Give a whole number of days from 1 to 365.', 'error') });
    ui.setInvalid(input, true);
    input?.focus();
    return;
  }
  ui.setInvalid(input, false);
  set({ checking: true, status: ui.status('Comparing with plex.tv…') });
  const url = `${pathFor('/manage/reconciliation')}?staleDays=${days}`;
  const answer = await send('GET', url, undefined, PLEX_TIMEOUT_MS, 'reconciliation');
  if (dropped(answer)) return;
  state.checking = false;
  if (!answer.ok || !Array.isArray(answer.body.items)) {
    set({ status: ui.status(`Couldn't compare with plex.tv. ${failureText(answer)}`, 'error') });
    return;
  }
  const findings = /** @type {Finding[]} */ (answer.body.items);
  set({
    findings,
    checked: true,
    status: ui.status(
      findings.length
        ? `${plural(findings.length, 'difference', 'differences')} with plex.tv.`
        : 'Everything matches plex.tv.',
      findings.length ? '' : 'ok',
    ),
  });
}

/** @param {Finding} finding @param {FixKind} fix */
async function applyFix(finding, fix) {
  if (state.fixing) return;
  if (
    fix === 'withdraw' &&
    !ui.confirmed(`Withdraw the invite to ${finding.identifier}? Their pending share is removed.`)
  )
    return;
  set({ fixing: `${finding.kind}:${finding.identifier}`, status: ui.status(`${FIXES[fix]}: ${finding.identifier}…`) });
  const answer = await request('POST', '/manage/reconciliation/fix', {
    body: { kind: fix, identifier: finding.identifier },
    timeoutMs: PLEX_TIMEOUT_MS,
  });
  if (dropped(answer)) return;
  state.fixing = '';
  if (!answer.ok) {
    set({ status: ui.status(`Couldn't fix it. ${failureText(answer)}`, 'error') });
    return;
  }
  set({
    findings: state.findings.filter((item) => item.identifier !== finding.identifier),
    status: ui.status(cleanMessage(asText(answer.body.message)) || 'Fixed.', 'ok'),
  });
  await reload();
  ui.restoreFocus('reconciliation-heading');
}
