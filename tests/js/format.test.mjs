// Unit tests for the admin app's formatting helpers (node --test tests/js/).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  fullUrl,
  localInputValue,
  niceCeiling,
  outcomeLabel,
  parseDay,
  readWhole,
  sumDays,
  toCount,
} from '../../static_site/admin/modules/format.js';

test('counts are whole and never negative', () => {
  assert.equal(toCount(3.7), 3);
  assert.equal(toCount(-1), 0);
  assert.equal(toCount('4'), 0);
});

test('a calendar day stays that day in local time', () => {
  const day = parseDay('2026-11-21');
  assert.deepEqual([day?.getFullYear(), day?.getMonth(), day?.getDate()], [2026, 10, 21]);
  assert.equal(parseDay('21/11/2026'), null);
});

test('the chart scale tops out at a round number', () => {
  assert.deepEqual([0, 3, 7, 11, 24, 130].map(niceCeiling), [1, 3, 10, 20, 25, 200]);
});

test('typed whole numbers are checked against their range', () => {
  assert.equal(readWhole(' 30 ', 1, 3650), 30);
  assert.equal(readWhole('0', 1, 3650), null);
  assert.equal(readWhole('2.5', 0, 10), null);
});

test('outcomes read as words', () => {
  assert.equal(outcomeLabel('user_not_found'), 'Plex user not found');
  assert.equal(outcomeLabel('something_new'), 'Something new');
  assert.equal(outcomeLabel(undefined), 'Unknown');
});

test('links are made absolute and only http(s)', () => {
  assert.equal(fullUrl('/j/ABC', 'https://example.com'), 'https://example.com/j/ABC');
  assert.equal(fullUrl('javascript:alert(1)', 'https://example.com'), '');
});

test('datetime-local values and success rates', () => {
  assert.equal(localInputValue(new Date(2026, 0, 5, 7, 3)), '2026-01-05T07:03');
  assert.deepEqual(sumDays([{ succeeded: 3, failed: 1 }]), { succeeded: 3, failed: 1, total: 4, rate: 75 });
  assert.equal(sumDays([]).rate, null);
});
