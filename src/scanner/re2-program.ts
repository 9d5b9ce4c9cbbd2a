/**
 * The compiled program of a re2js pattern (its NFA), as literal-prefixes.ts and segments.ts read it: the
 * instruction shapes and opcodes of re2js 2.10 (pinned exactly; literal-prefixes.test.ts checks them), and
 * one walk over the zero-width steps that both analyses need.
 */
import type { RE2JS } from 're2js';

export const Op = {
  ALT: 1,
  ALT_MATCH: 2,
  CAPTURE: 3,
  EMPTY_WIDTH: 4,
  FAIL: 5,
  MATCH: 6,
  NOP: 7,
  RUNE: 8,
  RUNE1: 9,
  RUNE_ANY: 10,
  RUNE_ANY_NOT_NL: 11,
} as const;

/** The flag of a RUNE instruction that matches its rune case-insensitively. */
export const FOLD_CASE = 1;

export interface Inst {
  readonly op: number;
  readonly out: number;
  readonly arg: number;
  readonly runes: Int32Array;
}

export interface Prog {
  readonly inst: readonly Inst[];
  readonly start: number;
}

/** The program of a compiled pattern (re2js internals; undefined if they are not what this module expects). */
export function programOf(re: RE2JS): Prog | undefined {
  const prog = (re as unknown as { re2Input?: { prog?: Prog } }).re2Input?.prog;
  return prog && Array.isArray(prog.inst) && typeof prog.start === 'number' ? prog : undefined;
}

/** Whether the instruction reads a character. */
export function readsCharacter(inst: Inst): boolean {
  return inst.op >= Op.RUNE && inst.op <= Op.RUNE_ANY_NOT_NL;
}

/** Whether a character-reading instruction may read a character beyond the BMP (two UTF-16 units). */
export function mayReadAstral(inst: Inst): boolean {
  if (inst.op === Op.RUNE_ANY || inst.op === Op.RUNE_ANY_NOT_NL) return true;
  const { runes } = inst;
  return runes.length > 0 && (runes[runes.length - 1] as number) > 0xffff;
}

/** Where an instruction may go next (both ways of an alternative; none after MATCH or FAIL). */
export function successors(inst: Inst): readonly number[] {
  if (inst.op === Op.ALT || inst.op === Op.ALT_MATCH) return [inst.out, inst.arg];
  return inst.op === Op.MATCH || inst.op === Op.FAIL ? [] : [inst.out];
}

/**
 * Visits each instruction reachable from `starts` once, following its successors when `visit` returns true. An
 * index with no instruction is visited as undefined, for the caller to treat as anything could happen there.
 */
export function walk(
  prog: Prog,
  starts: readonly number[],
  visit: (inst: Inst | undefined, pc: number) => boolean,
): void {
  const seen = new Set<number>();
  const stack = [...starts];
  while (stack.length > 0) {
    const pc = stack.pop() as number;
    if (seen.has(pc)) continue;
    seen.add(pc);
    const inst = prog.inst[pc];
    if (visit(inst, pc) && inst) stack.push(...successors(inst));
  }
}

/** Whether the instruction only passes on (alternatives, captures, assertions, no-ops): it reads nothing. */
export function isZeroWidth(inst: Inst): boolean {
  return (
    inst.op === Op.ALT ||
    inst.op === Op.ALT_MATCH ||
    inst.op === Op.CAPTURE ||
    inst.op === Op.EMPTY_WIDTH ||
    inst.op === Op.NOP
  );
}
