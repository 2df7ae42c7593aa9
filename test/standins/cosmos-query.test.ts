/**
 * The stand-in's query engine rewrite: the same answers as the engine's own code, without the quadratic
 * accumulator copies (see cosmos-query.ts).
 */
import query from '@zeit/cosmosdb-query';
import { describe, expect, it } from 'vitest';
import { appendInPlace, linearQuery } from '../../infra/local/standins/cosmos-query';

const families = [
  {
    id: 'a',
    _rid: 'r1',
    name: 'Andersen',
    children: [{ name: 'Henriette', pets: [{ name: 'Fluffy' }] }],
    tags: ['x'],
  },
  {
    id: 'b',
    _rid: 'r2',
    name: 'Wakefield',
    children: [{ name: 'Jesse', pets: [] }, { name: 'Lisa' }],
    tags: [],
  },
  { id: 'c', _rid: 'r3', name: '[...$, tricky]', nested: { value: undefined, kept: 1 } },
];

const cases: [string, unknown[]][] = [
  ['SELECT VALUE c.id FROM c', ['a', 'b', 'c']],
  ['SELECT TOP 1 VALUE c.id FROM c ORDER BY c.id DESC', ['c']],
  ['SELECT VALUE COUNT(1) FROM c', [3]],
  ["SELECT VALUE c.id FROM c WHERE c.name = '[...$, tricky]'", ['c']],
  ['SELECT VALUE ch.name FROM c JOIN ch IN c.children', ['Henriette', 'Jesse', 'Lisa']],
  ['SELECT c.id, p.name FROM c JOIN ch IN c.children JOIN p IN ch.pets', [{ id: 'a', name: 'Fluffy' }]],
  ['SELECT VALUE c.nested FROM c WHERE c.id = "c"', [{ kept: 1 }]],
  ['SELECT VALUE ARRAY_LENGTH(c.tags) FROM c', [1, 0]],
];

describe('linear query code', () => {
  it.each(cases)('%s answers as the engine does', (sql, expected) => {
    const original = query(sql).exec(families).result as unknown[];
    const rewritten = linearQuery(query(sql));
    expect(rewritten.exec(families).result).toEqual(expected);
    expect(original).toEqual(expected);
    // Only a string literal from the SQL itself may still spell the pattern.
    const occurrences = (text: string): number => text.split('[...$,').length - 1;
    expect(occurrences((rewritten as unknown as { code: string }).code)).toBe(occurrences(sql));
  });

  it('rewrites appends outside string literals only, nested ones included', () => {
    expect(appendInPlace('xs.reduce(($, c) => [...$, { c, s: "[...$, ]" }], [])')).toBe(
      'xs.reduce(($, c) => ($.push({ c, s: "[...$, ]" }), $), [])',
    );
    expect(appendInPlace('[...$, ...[...$, a].map(f)]')).toBe('($.push(...($.push(a), $).map(f)), $)');
  });

  it('pages a large container with continuation tokens, each item once', () => {
    const items = Array.from({ length: 20_000 }, (_, n) => ({
      id: `i${n}`,
      _rid: `rid${String(n).padStart(6, '0')}`,
      n,
    }));
    const compiled = linearQuery(query('SELECT c.n FROM c'));
    const seen: number[] = [];
    let continuation: { token: string } | undefined;
    do {
      const page = compiled.exec(items, { maxItemCount: 5000, continuation }) as {
        result: { n: number }[];
        continuation: { token: string } | null;
      };
      seen.push(...page.result.map((row) => row.n));
      continuation = page.continuation ?? undefined;
    } while (continuation !== undefined);
    expect(seen).toEqual(items.map((item) => item.n));
  });
});
