/**
 * Post-match checks for structured data (DESIGN.md §4 `validate`): a pattern finds what looks like a card number or
 * an IBAN, the validator keeps only what the format's own checksum or rules accept, so random digits are not
 * findings. Each validator sees the matched text, and the whole string with the match's offsets for context checks.
 */
import { UNICODE_VALIDATORS } from './unicode-checks.js';
import type { Validator } from './validator-types.js';

export type { Validator, ValidatorInput } from './validator-types.js';

/** Luhn (ISO/IEC 7812) over the digits of a card number; 13–19 digits. */
export function luhn(value: string): boolean {
  const digits = value.replace(/[\s-]/g, '');
  if (!/^\d{13,19}$/.test(digits) || /^(\d)\1+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

// ISO 13616 lengths of the countries that issue IBANs.
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18,
  GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32,
  LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24,
  PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28,
  TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** IBAN: known country, its length, and ISO 7064 mod-97 = 1. */
export function iban(value: string): boolean {
  const compact = value.replace(/[\s-]/g, '').toUpperCase();
  const length = IBAN_LENGTHS[compact.slice(0, 2)];
  if (length === undefined || compact.length !== length || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact)) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const code = char.charCodeAt(0);
    const digits = code >= 65 ? String(code - 55) : char;
    for (const digit of digits) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/** US SSN issuance rules: area not 000, 666 or 9xx; group not 00; serial not 0000; not a known advertising number. */
export function usSsn(value: string): boolean {
  const digits = value.replace(/[\s-]/g, '');
  if (!/^\d{9}$/.test(digits)) return false;
  const area = digits.slice(0, 3);
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (digits.slice(3, 5) === '00' || digits.slice(5) === '0000') return false;
  return digits !== '078051120' && digits !== '219099999' && !/^(\d)\1{8}$/.test(digits) && digits !== '123456789';
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** A generic secret: long enough, random-looking, and not an obvious placeholder. */
export function highEntropySecret(value: string): boolean {
  if (value.length < 16) return false;
  if (/^(?:x+|\*+|\.+|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\})$/i.test(value)) return false;
  if (/(?:example|placeholder|changeme|your[_-]?|redacted|dummy|sample)/i.test(value)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /\d/].filter((re) => re.test(value)).length;
  return classes >= 2 && shannonEntropy(value) >= 3.5;
}

/** A JWT: the first part decodes to a JSON object (the header; real ones name an `alg`, forged ones may not). */
export function jwt(value: string): boolean {
  const header = value.split('.')[0] ?? '';
  try {
    const parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/** A dotted quad with every octet 0–255. */
export function ipv4(value: string): boolean {
  const parts = value.split('.');
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

/** Every validator a rule may name in `validate`, by name. */
export const VALIDATOR_TABLE: Readonly<Record<string, Validator>> = {
  luhn: ({ match }) => luhn(match),
  iban: ({ match }) => iban(match),
  us_ssn: ({ match }) => usSsn(match),
  entropy: ({ match }) => highEntropySecret(match),
  jwt: ({ match }) => jwt(match),
  ipv4: ({ match }) => ipv4(match),
  ...UNICODE_VALIDATORS,
};
