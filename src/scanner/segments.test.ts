import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { type AnchorablePattern, matchWithin, prepareAnchored } from './anchored-match.js';
import { findSegments, segmentPlan } from './segments.js';

const compile = (source: string): { re: RE2JS; pattern: AnchorablePattern } => {
  const re = RE2JS.compile(source);
  return { re, pattern: prepareAnchored(re, source, 0) };
};

/** Every match, found inside the segments only. */
function viaSegments(source: string, text: string): string[] {
  const { re, pattern } = compile(source);
  const plan = segmentPlan(re);
  if (!plan) throw new Error(`no plan for ${source}`);
  const found: string[] = [];
  const segments = findSegments(plan, text);
  for (let i = 0; i < segments.length; i += 2) {
    const end = Math.min(text.length, (segments[i + 1] as number) + 1);
    for (let from = segments[i] as number; from < (segments[i + 1] as number);) {
      const match = matchWithin(pattern, text, from, end);
      if (!match) break;
      found.push(text.slice(match.start, match.end));
      from = Math.max(match.matchEnd, from + 1);
    }
  }
  return found;
}

function viaWholeString(source: string, text: string): string[] {
  const { re, pattern } = compile(source);
  const matcher = re.matcher(text);
  const found: string[] = [];
  while (matcher.find())
    found.push(
      pattern.grouped && matcher.group(1) !== null ? (matcher.group(1) as string) : (matcher.group() as string),
    );
  return found;
}

describe('segmentPlan', () => {
  it.each([
    [
      'a word rule that needs one of its own non-ASCII letters (not just any)',
      '[A-Za-z\\x{0400}-\\x{04FF}]*[A-Za-z][\\x{0430}\\x{0435}][A-Za-z]*',
      { lead: 0, trail: 0, req: '0430' },
    ],
    ['an address that needs @', '\\b[a-z0-9.]+@[a-z0-9.]+\\.[a-z]{2,}', { lead: 0, trail: 0, req: '0040' }],
    [
      'left and right contexts become lead and trail',
      '(?:^|[^\\w:])([0-9a-f]{1,4}(?::[0-9a-f]{1,4}){2,7})(?:$|[^\\w:])',
      { lead: 2, trail: 2, req: '003a' },
    ],
  ])('%s', (_, source, expected) => {
    const plan = segmentPlan(RE2JS.compile(source));
    expect(plan).toBeDefined();
    expect({ lead: plan?.lead, trail: plan?.trail, req: plan?.required.source.slice(3, 7) }).toEqual(expected);
  });

  it.each([
    ['any character', 'a.*@b'],
    ['spaces inside a match', 'foo bar@'],
    ['no required class', '[a-z]+x'],
    ['a wide class that is not only first or last', '[a-z]+[^a-z]+[a-z]+@'],
  ])('none for %s', (_, source) => {
    expect(segmentPlan(RE2JS.compile(source))).toBeUndefined();
  });
});

describe('searching inside segments finds what a whole-string search finds', () => {
  it.each([
    [
      '[A-Za-z\\x{0400}-\\x{04FF}]*[A-Za-z][\\x{0430}\\x{0435}][A-Za-z]*',
      'plain words, a pаypal word, Результаты, xа and а lone, sеcure.',
    ],
    ['\\b([a-z0-9.]+@[a-z0-9.]+\\.[a-z]{2,})', 'mail ann@example.com, bob@ex.org; not@ or @x or a@b. then z@q.io'],
    [
      '(?:^|[^\\w:])([0-9a-f]{1,4}(?::[0-9a-f]{1,4}){2,7})(?:$|[^\\w:])',
      '{"t":"10:12:00","ip":"fe80:0:1:2","x":"a:b"} ::1 fe80:1:2:3 x1:2:3 1:2:3',
    ],
    ['(?:^|[^\\w:])([0-9a-f]{1,4}(?::[0-9a-f]{1,4}){2,7})(?:$|[^\\w:])', '1:2:3'],
  ])('%s', (source, text) => {
    const whole = viaWholeString(source, text);
    expect(whole.length).toBeGreaterThan(0);
    expect(viaSegments(source, text)).toEqual(whole);
  });
});

describe('case folding', () => {
  it('a folded letter reads every case of it (final sigma, Kelvin sign, long s), so runs do not end inside a match', () => {
    const re = RE2JS.compile('(?i)[a-zσ]*σ[a-zσ]*@');
    const plan = segmentPlan(re);
    expect(plan).toBeDefined();
    for (const c of ['ς', 'Σ', 'σ']) expect(plan?.alphabet[c.charCodeAt(0)], c).toBe(1);
    const k = segmentPlan(RE2JS.compile('(?i)k[a-z]*@'));
    expect(k?.alphabet[0x212a]).toBe(1);
    expect(k?.alphabet[0x17f]).toBe(1); // ſ, read by the folded [a-z]
  });
});
