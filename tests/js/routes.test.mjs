// Unit tests for the admin app's routes (node --test tests/js/; devtools/test.sh runs them).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  DEFAULT_VIEW,
  documentTitle,
  hashFor,
  isRouteHash,
  isViewName,
  navItems,
  VIEW_NAMES,
  viewFromHash,
} from '../../static_site/admin/modules/routes.js';

test('a hash names its view, with or without the slash and whatever follows', () => {
  assert.equal(viewFromHash('#/users'), 'users');
  assert.equal(viewFromHash('#users'), 'users');
  assert.equal(viewFromHash('#/alerts'), 'notifications', 'the tab is labelled Alerts');
  assert.equal(viewFromHash('#/tiers/kids'), 'tiers');
  assert.equal(viewFromHash('#/Settings'), 'settings');
  assert.equal(viewFromHash('#/invites?new=1'), 'invites');
});

test('an empty or unknown hash shows the overview', () => {
  for (const hash of ['', '#', '#/', '#/nope', '#dashboard-main', '#/__proto__', '#/constructor']) {
    assert.equal(viewFromHash(hash), DEFAULT_VIEW, hash);
  }
});

test('every view round-trips through its hash', () => {
  for (const name of VIEW_NAMES) {
    assert.equal(viewFromHash(hashFor(name)), name);
    assert.ok(isViewName(name));
  }
  assert.ok(!isViewName('log'));
});

test('the navigation lists every view then the log, relative on the dashboard and absolute from the log', () => {
  const onDashboard = navItems('dashboard');
  assert.deepEqual(
    onDashboard.map((item) => item.name),
    [...VIEW_NAMES, 'log'],
  );
  assert.equal(onDashboard[2].href, '#/users');
  assert.equal(onDashboard.at(-1)?.href, '/admin/log');
  assert.equal(navItems('log')[2].href, '/admin#/users');
  assert.ok(
    onDashboard.every((item) => item.label.length > 0 && item.label.length <= 8),
    'labels fit a phone tab',
  );
});

test('titles name the view', () => {
  assert.equal(documentTitle('invites'), 'Invite links · Helpr admin');
  assert.equal(documentTitle('log'), 'Invite log · Helpr admin');
  assert.equal(documentTitle('users', 'Den'), 'Users · Den · Helpr admin');
});

test('only "#/..." and an empty hash are routes, so the skip link keeps the view', () => {
  assert.ok(isRouteHash(''));
  assert.ok(isRouteHash('#/users'));
  assert.ok(!isRouteHash('#dashboard-main'));
});
