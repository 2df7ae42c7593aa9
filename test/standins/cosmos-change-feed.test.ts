/**
 * The change sequence behind the stand-in's change feed: latest version only, LSN order, deletes gone,
 * and the same answers after superseded entries are pruned.
 */
import { describe, expect, it } from 'vitest';
import { ChangeLog } from '../../infra/local/standins/cosmos-change-feed';

const rids = (log: ChangeLog, since: number): string[] => [...log.after(since)].map((entry) => entry.rid);

describe('ChangeLog', () => {
  it('lists each live item once at its latest change, oldest first, after a given LSN', () => {
    const log = new ChangeLog();
    expect(['a', 'b', 'c'].map((rid) => log.changed(rid))).toEqual([1, 2, 3]);
    log.changed('a'); // 4
    log.removed('b');
    expect(rids(log, 0)).toEqual(['c', 'a']);
    expect(rids(log, 3)).toEqual(['a']);
    expect(rids(log, 4)).toEqual([]);
    expect(log.lastLsn).toBe(4);
    expect(log.changed('d')).toBe(5); // numbers are never reused after a delete
  });

  it('restores persisted LSNs, in any order', () => {
    const log = new ChangeLog();
    log.changed('late', 10);
    log.changed('early', 7);
    expect([...log.after(0)]).toEqual([
      { lsn: 7, rid: 'early' },
      { lsn: 10, rid: 'late' },
    ]);
    expect(log.changed('next')).toBe(11);
  });

  it('answers the same after pruning many superseded changes', () => {
    const log = new ChangeLog();
    for (let round = 0; round < 5; round += 1) {
      for (let item = 0; item < 1000; item += 1) log.changed(`item-${item}`);
    }
    const live = [...log.after(0)];
    expect(live).toHaveLength(1000);
    expect(live[0]).toEqual({ lsn: 4001, rid: 'item-0' });
    expect(rids(log, 4998)).toEqual(['item-998', 'item-999']);
  });
});
