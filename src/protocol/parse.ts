import type { z } from 'zod';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Largest nesting accepted before schema validation; deeper input is rejected unparsed. */
const MAX_DEPTH = 32;

/**
 * `JSON.parse` then `safeParse`, never throwing: the one edge where untrusted text becomes a
 * typed value. `__proto__` keys are dropped by the reviver, so they cannot reach any object.
 */
export function parseJson<S extends z.ZodType>(schema: S, text: string): Parsed<z.infer<S>> {
  let raw: unknown;
  try {
    // The reviver costs on every value; only text that could spell __proto__ (plainly or with
    // \u escapes) needs it.
    const suspicious = text.includes('__proto__') || text.includes('\\u');
    raw = suspicious ? JSON.parse(text, dropProto) : JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (depth(raw) > MAX_DEPTH) return { ok: false, error: `nested deeper than ${MAX_DEPTH}` };
  const result = schema.safeParse(raw);
  if (!result.success) return { ok: false, error: summarize(result.error) };
  return { ok: true, value: result.data };
}

/** A one-line summary naming the paths at fault: `data.status: Invalid option`. */
export function summarize(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

function depth(value: unknown, level = 0): number {
  if (level > MAX_DEPTH || value === null || typeof value !== 'object') return level;
  let max = level;
  for (const v of Object.values(value as Record<string, unknown>)) {
    max = Math.max(max, depth(v, level + 1));
    if (max > MAX_DEPTH) break;
  }
  return max;
}

function dropProto(key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}
