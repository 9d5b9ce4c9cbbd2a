/** Freezes a value and everything reachable from it, so a loaded config cannot change behind the gateway's back. */
export function deepFreeze<T>(value: T): T {
  freeze(value, new WeakSet());
  return value;
}

// `seen` guards against cycles and shared subtrees (a YAML alias yields the same object twice).
function freeze(value: unknown, seen: WeakSet<object>): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) freeze((value as Record<PropertyKey, unknown>)[key], seen);
  Object.freeze(value);
}
