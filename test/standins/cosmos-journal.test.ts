/**
 * The journal under the Cosmos DB stand-in: group commit, replay order, a torn last line after a crash,
 * compaction that never replays a record twice, and damage that stops the start instead of losing data.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../infra/local/standins/cosmos-journal';
import { temporaryDirectory } from './support';

/** A tiny store: a list of values, persisted by the journal. */
async function openStore(
  dir: string,
  compactAfterBytes?: number,
): Promise<{ values: number[]; journal: Journal }> {
  const values: number[] = [];
  const journal = await Journal.open(dir, (record) => values.push((record as { value: number }).value), {
    capture: () => values.map((value) => ({ value })),
    compactAfterBytes,
  });
  return { values, journal };
}

describe('Journal', () => {
  it('replays committed records in order after a restart without a clean close', async () => {
    const dir = await temporaryDirectory('journal');
    const first = await openStore(dir);
    for (let value = 1; value <= 5; value += 1) {
      first.values.push(value);
      first.journal.append({ value });
    }
    await Promise.all([first.journal.commit(), first.journal.commit()]);
    // No close(): as after a crash, only the journal holds the data.
    const second = await openStore(dir);
    expect(second.values).toEqual([1, 2, 3, 4, 5]);
    await second.journal.close();
  });

  it('drops a torn last line and appends after it', async () => {
    const dir = await temporaryDirectory('journal-torn');
    const first = await openStore(dir);
    first.journal.append({ value: 1 });
    await first.journal.commit();
    await fs.appendFile(path.join(dir, 'journal.ndjson'), '{"value":2,"se'); // a write cut short
    const second = await openStore(dir);
    expect(second.values).toEqual([1]);
    second.values.push(3);
    second.journal.append({ value: 3 });
    await second.journal.commit();
    const third = await openStore(dir);
    expect(third.values).toEqual([1, 3]);
  });

  it('refuses to start on a damaged record that is not the last line', async () => {
    const dir = await temporaryDirectory('journal-damaged');
    await fs.writeFile(path.join(dir, 'journal.ndjson'), '{"value":1,"seq":1}\n{oops\n{"value":3,"seq":3}\n');
    await expect(openStore(dir)).rejects.toThrow(/journal\.ndjson:2: damaged record/);
  });

  it('compacts into a snapshot when the journal grows, and never replays a compacted record twice', async () => {
    const dir = await temporaryDirectory('journal-compact');
    const first = await openStore(dir, 200);
    for (let value = 1; value <= 40; value += 1) {
      first.values.push(value);
      first.journal.append({ value });
      await first.journal.commit();
    }
    // The last commit may have started a compaction in the background; a second store must not race it.
    await first.journal.settled();
    const journalSize = (await fs.stat(path.join(dir, 'journal.ndjson'))).size;
    expect(journalSize).toBeLessThan(250);
    // Simulate a crash between writing the snapshot and emptying the journal: old records come back.
    const stale = '{"value":1,"seq":1}\n{"value":2,"seq":2}\n';
    await fs.appendFile(path.join(dir, 'journal.ndjson'), stale);
    const second = await openStore(dir);
    expect(second.values).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});
