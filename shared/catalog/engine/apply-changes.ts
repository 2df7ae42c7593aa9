import type { Dau } from '../model';
import { CatalogIndex } from './catalog-index';
import type { IndexedFile } from './indexed-file';
import type { ChangedFiles } from './update-index';

export type { ChangedFiles } from './update-index';

/**
 * Above this share of the index's files changed at once (and more than INCREMENTAL_UPDATE_ALWAYS changes),
 * one cooperative rebuild is cheaper than updating every touched sample and subject in place.
 */
export const INCREMENTAL_UPDATE_MAX_SHARE = 0.25;
export const INCREMENTAL_UPDATE_ALWAYS = 1000;

export interface AppliedChanges {
  index: CatalogIndex;
  how: 'incremental' | 'rebuild';
}

/**
 * A new index version: the previous one's files with the changes applied. The previous version stays as it
 * is, so answers already in flight finish on it. Up to a quarter of the files changed (or 1,000), the index is
 * updated in place of a rebuild; many changes, or changes the update cannot take, rebuild it. Both run in
 * steps with a turn of the event loop between, so the instance keeps answering from `previous` meanwhile
 * (`onRebuildStart` says when a rebuild starts).
 */
export async function applyChanges(
  previous: CatalogIndex,
  changed: ChangedFiles,
  daus: readonly Dau[],
  onRebuildStart?: () => void,
): Promise<AppliedChanges> {
  if (
    changed.size <= Math.max(INCREMENTAL_UPDATE_ALWAYS, previous.fileCount * INCREMENTAL_UPDATE_MAX_SHARE)
  ) {
    const updated = await previous.withChanges(changed, daus);
    if (updated !== undefined) return { index: updated, how: 'incremental' };
  }
  onRebuildStart?.();
  return {
    index: await CatalogIndex.buildCooperatively(mergedFiles(previous.files(), changed), daus),
    how: 'rebuild',
  };
}

export function* mergedFiles(base: Iterable<IndexedFile>, changed: ChangedFiles) {
  for (const file of base) if (!changed.has(file.id)) yield file;
  for (const file of changed.values()) if (file !== null) yield file;
}
