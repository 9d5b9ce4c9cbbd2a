import { describe, expect, it } from 'vitest';
import { sourceKeyOf } from './source-key.js';

describe('sourceKeyOf', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['203.0.113.7', '203.0.113.7'],
    ['::1', '0:0:0:0::/64'],
    ['[::1]', '0:0:0:0::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8:0:0:ffff:ffff:ffff:ffff', '2001:db8:0:0::/64'],
    ['2001:DB8:0:0:1:2:3:4', '2001:db8:0:0::/64'],
    ['2001:db8:0:1::1', '2001:db8:0:1::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::ffff:a00:1', '10.0.0.1'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    ['stdio', 'stdio'],
    ['', ''],
  ])('%s → %s', (address, key) => {
    expect(sourceKeyOf(address)).toBe(key);
  });

  it('one /64 is one key however many addresses it uses', () => {
    const keys = new Set(Array.from({ length: 100 }, (_, i) => sourceKeyOf(`2001:db8:aa:bb:${i.toString(16)}::${i}`)));
    expect([...keys]).toEqual(['2001:db8:aa:bb::/64']);
  });
});
