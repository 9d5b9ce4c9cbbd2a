import { describe, expect, it } from 'vitest';
import { parseSince } from './parse-since.js';

const NOW = Date.UTC(2025, 5, 30, 12, 0, 0);

describe('parseSince', () => {
  it.each([
    ['30s', NOW - 30_000],
    ['15m', NOW - 15 * 60_000],
    ['1h', NOW - 3_600_000],
    ['7d', NOW - 7 * 86_400_000],
    ['0s', NOW],
    [' 2h ', NOW - 7_200_000],
    ['2025-06-01', Date.UTC(2025, 5, 1)],
    ['2025-06-01T09:30Z', Date.UTC(2025, 5, 1, 9, 30)],
    ['2025-06-01T09:30:15Z', Date.UTC(2025, 5, 1, 9, 30, 15)],
    ['2025-06-01T09:30:15.250Z', Date.UTC(2025, 5, 1, 9, 30, 15, 250)],
    ['2025-06-01T09:30:15+02:00', Date.UTC(2025, 5, 1, 7, 30, 15)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2025-06-01T09:30:00', new Date(2025, 5, 1, 9, 30).getTime()],
  ])('reads %j', (text, expected) => {
    expect(parseSince(text, NOW)).toBe(expected);
  });

  it.each([
    '',
    '1',
    'h',
    '1.5h',
    '-1h',
    '1w',
    '1H',
    '10 minutes',
    'yesterday',
    'June 1, 2025',
    '2025-6-1',
    '2025-13-01',
    '2025-02-29',
    '2025-04-31',
    '2025-06-01T24:00Z',
    '2025-06-01T09:60Z',
    '2025-06-01T09:30+0200',
    '2025-06-01 09:30',
    '1717200000000',
  ])('refuses %j with a message naming the accepted forms', (text) => {
    expect(() => parseSince(text, NOW)).toThrow(/30s, 15m, 1h, 7d.*ISO-8601/);
  });
});
