// Unit tests for the admin app's API client (node --test tests/js/): headers, the error shape, timeouts, the
// session ending, and stale answers dropped.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import {
  abortAll,
  errorMessage,
  getJson,
  pathFor,
  request,
  retryAfterSeconds,
  send,
  setCsrfToken,
  whenSessionEnds,
} from '../../static_site/admin/modules/api.js';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
  setCsrfToken('');
  whenSessionEnds(() => {});
});

/** Answers every fetch with this status and body (a string is sent as is), after `delayMs`, honouring abort. */
function answer(status, body, { delayMs = 0, headers = {} } = {}) {
  const calls = [];
  globalThis.fetch = (url, init) => {
    calls.push({ url, init });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        resolve(new Response(text, { status, headers }));
      }, delayMs);
      init.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new DOMException('aborted', 'AbortError'));
      });
    });
  };
  return calls;
}

test('a change sends the CSRF token, JSON and same-origin credentials; a read sends no body', async () => {
  const calls = answer(200, { id: 'kids' });
  setCsrfToken('token-1');
  const saved = await request('POST', '/manage/tiers', { body: { name: 'Kids', sectionIds: [1] } });
  assert.equal(saved.ok, true);
  assert.deepEqual(saved.body, { id: 'kids' });
  const { url, init } = calls[0];
  assert.equal(url, '/api/manage/tiers');
  assert.equal(init.credentials, 'same-origin');
  assert.equal(init.headers['X-CSRF-Token'], 'token-1');
  assert.equal(init.body, JSON.stringify({ name: 'Kids', sectionIds: [1] }));
  await request('GET', '/manage/tiers');
  assert.equal(calls[1].init.body, undefined);
  assert.equal(calls[1].init.headers['X-CSRF-Token'], undefined);
});

test('a file is sent as the body itself, with its own type and the CSRF token', async () => {
  const calls = answer(200, { branding: {} });
  setCsrfToken('token-2');
  const logo = new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' });
  const saved = await request('PUT', '/manage/branding/logo', { file: logo });
  assert.equal(saved.ok, true);
  const { init } = calls[0];
  assert.equal(init.body, logo);
  assert.equal(init.headers['Content-Type'], 'image/png');
  assert.equal(init.headers['X-CSRF-Token'], 'token-2');
});

test('path values are encoded', () => {
  assert.equal(pathFor('/manage/users/{identifier}', { identifier: 'a b/c@d' }), '/api/manage/users/a%20b%2Fc%40d');
});

test('the JSON error shape is read, field included, and its message shown', async () => {
  answer(400, { error: { code: 'invalid_template', message: 'rules: unknown placeholder x.', field: 'rules' } });
  const refused = await request('PUT', '/manage/onboarding', { body: {} });
  assert.equal(refused.ok, false);
  assert.deepEqual(refused.error, {
    code: 'invalid_template',
    message: 'rules: unknown placeholder x.',
    field: 'rules',
  });
  assert.equal(errorMessage(refused), 'rules: unknown placeholder x.');
});

test('a proxy page is never shown raw, and 429 says how long to wait', async () => {
  answer(502, '<html>Bad gateway</html>');
  const broken = await request('GET', '/manage/dashboard');
  assert.equal(broken.ok, false);
  assert.match(errorMessage(broken), /went wrong on our side/);
  answer(429, { error: { code: 'rate_limited', message: 'Slow down' } }, { headers: { 'Retry-After': '90' } });
  assert.match(errorMessage(await request('GET', '/manage/dashboard')), /Try again in 2 minutes/);
  assert.equal(retryAfterSeconds('5'), 5);
  assert.equal(retryAfterSeconds(new Date(Date.now() + 30_000).toUTCString()) > 25, true);
});

test('a slow answer times out with its own message', async () => {
  answer(200, {}, { delayMs: 200 });
  const late = await send('GET', '/api/manage/dashboard', undefined, 20);
  assert.equal(late.timedOut, true);
  assert.equal(late.aborted, false);
  assert.match(errorMessage(late), /took too long/);
});

test('a 401 while signed in ends the session once; before signing in it is just an answer', async () => {
  let ended = 0;
  whenSessionEnds(() => {
    ended += 1;
  });
  answer(401, { error: { code: 'not_signed_in', message: 'Sign in.' } });
  const before = await send('GET', '/api/manage/session');
  assert.equal(before.sessionEnded, false);
  setCsrfToken('token-1');
  const after = await request('GET', '/manage/tiers');
  assert.equal(after.sessionEnded, true);
  assert.equal(ended, 1);
});

test('a newer request with the same key drops the older answer, and signing out drops them all', async () => {
  answer(200, { n: 1 }, { delayMs: 30 });
  const first = request('GET', '/manage/tiers', { key: 'tiers' });
  const second = request('GET', '/manage/tiers', { key: 'tiers' });
  assert.equal((await first).aborted, true);
  assert.equal((await second).ok, true);
  const pending = request('GET', '/manage/users');
  abortAll();
  const dropped = await pending;
  assert.equal(dropped.aborted, true);
  assert.equal(dropped.network, false);
});

test('getJson gives the 200 answer as data, and null data for a failure', async () => {
  const calls = answer(200, { items: [{ id: 'default' }] });
  const ok = await getJson('/manage/tiers', { key: 'tiers' });
  assert.equal(calls[0].url, '/api/manage/tiers');
  assert.equal(calls[0].init.method, 'GET');
  assert.deepEqual(ok.data, { items: [{ id: 'default' }] });
  answer(503, { error: { code: 'storage_unavailable', message: 'Storage is down.' } });
  const failed = await getJson('/manage/tiers');
  assert.equal(failed.data, null);
  assert.equal(failed.ok, false);
});
