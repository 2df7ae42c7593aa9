/**
 * JSON Merge Patch (RFC 7396): objects merge member by member, `null` removes a member, anything else
 * (arrays included) replaces the target's value whole.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result = new Map(Object.entries(isObject(target) ? target : {}));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) result.delete(key);
    else result.set(key, applyMergePatch(result.get(key), value));
  }
  // Schemas refuse `__proto__` and the like before any merge; built this way, none could reach a prototype.
  return Object.fromEntries(result);
}

/** The dotted paths a patch touches (its leaves), for the timeline: what changed, never the values. */
export function patchedPaths(patch: unknown, prefix = ''): string[] {
  if (!isObject(patch)) return [prefix];
  const paths = Object.entries(patch).flatMap(([key, value]) =>
    patchedPaths(value, prefix === '' ? key : `${prefix}.${key}`),
  );
  return prefix !== '' && paths.length === 0 ? [prefix] : paths;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
