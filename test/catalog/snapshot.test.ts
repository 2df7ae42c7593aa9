import { describe, expect, it } from 'vitest';
import { toIndexedFile } from '../../shared/catalog/engine/indexed-file';
import { generateCatalog } from '../../shared/catalog/generator/generate';
import {
  decodeSnapshot,
  encodeSnapshot,
  snapshotHeadSchema,
  snapshotPartSchema,
} from '../../shared/catalog/snapshot';

const info = {
  snapshotId: 's1',
  continuation: '"42"',
  indexVersion: 'v',
  takenAt: '2026-01-01T00:00:00.000Z',
};

describe('compact snapshot', () => {
  it('gives back every file exactly, across parts, after a JSON round trip', () => {
    const files = generateCatalog({ files: 3000, seed: 5 }).map(toIndexedFile);
    const { head, parts } = encodeSnapshot(files, info, 50_000);
    expect(parts.length).toBeGreaterThan(5);
    const stored = JSON.parse(
      JSON.stringify({ head, parts: parts.map((rows, part) => ({ part, rows })) }),
    ) as {
      head: unknown;
      parts: unknown[];
    };
    const decoded = [
      ...decodeSnapshot(
        snapshotHeadSchema.parse(stored.head),
        stored.parts.map((part) => snapshotPartSchema.parse(part)),
      ),
    ];
    expect(decoded).toEqual(files);
    // Compact: well under the size of the documents themselves.
    expect(JSON.stringify(parts).length / files.length).toBeLessThan(260);
  });

  it('refuses an incomplete snapshot', () => {
    const files = generateCatalog({ files: 500, seed: 5 }).map(toIndexedFile);
    const { head, parts } = encodeSnapshot(files, info, 20_000);
    const partial = parts.slice(1).map((rows, index) => ({ part: index + 1, rows }));
    expect(() => [...decodeSnapshot(head, partial)]).toThrow(/incomplete/);
  });
});
