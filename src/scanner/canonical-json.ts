/** RFC 8785 (JCS) canonical JSON, from the `canonicalize` package. */
import canonicalizeModule from 'canonicalize';

type Canonicalize = (input: unknown) => string | undefined;

// The package is CommonJS whose types declare an ES default export: at run time the default import is the function
// itself, while TypeScript sees a namespace holding `default`. Accept both shapes.
const canonicalizeImpl: Canonicalize =
  typeof canonicalizeModule === 'function'
    ? (canonicalizeModule as Canonicalize)
    : (canonicalizeModule as unknown as { default: Canonicalize }).default;

/** The canonical JSON text of `value`; undefined for values JSON cannot represent. */
export function canonicalJson(value: unknown): string | undefined {
  return canonicalizeImpl(value);
}
