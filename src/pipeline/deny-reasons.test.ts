import { describe, expect, it } from 'vitest';
import { DENY_REASONS, type DenyReason, denialError, isGatewayError } from './deny-reasons.js';

describe('deny reasons (DESIGN.md §2 contract)', () => {
  it.each<[DenyReason, number, number]>([
    ['rate_limited', -32029, 429],
    ['bad_signature', -32081, 401],
    ['suspended', -32082, 403],
    ['acl_denied', -32083, 403],
    ['rule_blocked', -32084, 403],
    ['guard_blocked', -32085, 403],
    ['quarantined', -32086, 403],
    ['flow_denied', -32087, 403],
    ['backend_unavailable', -32088, 503],
    ['internal_error', -32603, 500],
  ])('%s has code %i, data.reason, and HTTP status %i where plain HTTP', (reason, code, status) => {
    expect(DENY_REASONS[reason].httpStatus).toBe(status);
    const error = denialError(reason, { extra: 1 });
    expect(error.code).toBe(code);
    expect(error.data).toEqual({ extra: 1, reason });
    expect(isGatewayError(error)).toBe(true);
  });

  it('covers exactly the contract table', () => {
    expect(Object.keys(DENY_REASONS)).toHaveLength(10);
  });

  it('a caller cannot overwrite data.reason through extra data', () => {
    expect(denialError('acl_denied', { reason: 'something_else' }).data.reason).toBe('acl_denied');
  });

  it('does not mistake a backend error for a gateway error', () => {
    expect(isGatewayError({ code: -32602, data: { reason: 'their own' } })).toBe(false);
    expect(isGatewayError({ code: -32603 })).toBe(false);
  });

  it('never tells the client which check failed beyond the reason name', () => {
    for (const reason of Object.keys(DENY_REASONS) as DenyReason[]) {
      expect(denialError(reason).message).not.toMatch(/signature (expired|digest|nonce)|unknown key/i);
    }
  });
});
