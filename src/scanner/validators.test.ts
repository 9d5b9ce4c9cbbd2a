import { describe, expect, it } from 'vitest';
import { highEntropySecret, iban, ipv4, jwt, luhn, shannonEntropy, usSsn } from './validators.js';

describe('validators', () => {
  it.each([
    ['4111 1111 1111 1111', true],
    ['5555-5555-5555-4444', true],
    ['378282246310005', true],
    ['4111 1111 1111 1112', false],
    ['0000000000000000', false],
    ['123456789012', false],
  ])('luhn(%s) → %s', (value, expected) => expect(luhn(value)).toBe(expected));

  it.each([
    ['GB82 WEST 1234 5698 7654 32', true],
    ['DE89370400440532013000', true],
    ['fr1420041010050500013m02606', true],
    ['GB82 WEST 1234 5698 7654 33', false],
    ['DE8937040044053201300', false],
    ['XX89370400440532013000', false],
  ])('iban(%s) → %s', (value, expected) => expect(iban(value)).toBe(expected));

  it.each([
    ['234-56-7890', true],
    ['345 67 8901', true],
    ['000-12-3456', false],
    ['666-12-3456', false],
    ['912-34-5678', false],
    ['234-00-7890', false],
    ['234-56-0000', false],
    ['078-05-1120', false],
    ['123-45-6789', false],
  ])('usSsn(%s) → %s', (value, expected) => expect(usSsn(value)).toBe(expected));

  it.each([
    ['Zx8vQ2mN4bT6yU1wE3rK5pL7', true],
    ['YOUR_API_KEY_HERE_PLEASE', false],
    ['xxxxxxxxxxxxxxxxxxxxxxxx', false],
    ['${SECRET_FROM_ENVIRONMENT}', false],
    ['aaaaaaaaaaaaaaaa1', false],
    ['short1A', false],
  ])('highEntropySecret(%s) → %s', (value, expected) => expect(highEntropySecret(value)).toBe(expected));

  it('measures entropy in bits per character', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
  });

  it.each([
    ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig', true],
    ['eyJmb28iOiJiYXIifQ.eyJzdWIiOiIxIn0.sig', true],
    ['WzFd.eyJzdWIiOiIxIn0.sig', false],
    ['not.a.jwt', false],
  ])('jwt(%s) → %s', (value, expected) => expect(jwt(value)).toBe(expected));

  it.each([
    ['203.0.113.42', true],
    ['255.255.255.255', true],
    ['256.1.1.1', false],
    ['1.2.3', false],
  ])('ipv4(%s) → %s', (value, expected) => expect(ipv4(value)).toBe(expected));
});
