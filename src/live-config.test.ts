import { describe, expect, it } from 'vitest';
import { configSchema } from './config/schema.js';
import { mergeReloadable } from './live-config.js';

const base = configSchema.parse({
  server: { port: 8080 },
  backends: { a: { transport: 'stdio', command: 'node' } },
  default_policy: 'allow',
});

describe('mergeReloadable', () => {
  it('applies policy sections and keeps restart-only sections', () => {
    const next = configSchema.parse({
      server: { port: 9999 },
      backends: { b: { transport: 'stdio', command: 'node' } },
      default_policy: 'deny',
      mode: 'observe',
    });
    const merged = mergeReloadable(base, next);
    expect(merged.config.mode).toBe('observe');
    expect(merged.config.default_policy).toBe('deny');
    expect(merged.config.server.port).toBe(8080);
    expect(Object.keys(merged.config.backends)).toEqual(['a']);
    expect(merged.pendingRestart).toEqual(['server', 'backends']);
  });

  it('reports nothing pending when only policy changed', () => {
    const next = configSchema.parse({ server: { port: 8080 }, backends: { a: { transport: 'stdio', command: 'node' } }, mode: 'observe' });
    expect(mergeReloadable(base, next).pendingRestart).toEqual([]);
  });

  it('returns a frozen config', () => {
    const merged = mergeReloadable(base, base);
    expect(Object.isFrozen(merged.config)).toBe(true);
    expect(Object.isFrozen(merged.config.server)).toBe(true);
  });
});
