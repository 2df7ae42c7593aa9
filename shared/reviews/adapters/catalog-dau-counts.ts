import type { CatalogService } from '../../catalog/catalog-service';
import type { Counts, Selection } from '../../catalog/model';
import type { DauSelectionCounts } from '../ports';

/**
 * What a request's selection holds in one DAU, from this instance's catalog index: its files, distinct
 * samples and subjects, and bytes (each file with its index file, which travels with it). Read once when a
 * review round opens and kept on the round, so the decision page never recounts.
 */
export class CatalogDauCounts implements DauSelectionCounts {
  constructor(private readonly catalog: Pick<CatalogService, 'fresh'>) {}

  async countsIn(selection: Selection, dauId: string): Promise<Counts> {
    const { index } = await this.catalog.fresh();
    const { files } = index.resolveSelection(selection, new Set());
    const samples = new Set<string>();
    const subjects = new Set<string>();
    let count = 0;
    let bytes = 0;
    for (const position of files) {
      const file = index.file(position);
      if (file.dau !== dauId) continue;
      count += 1;
      bytes += file.fileSizeBytes + (file.indexFile?.fileSizeBytes ?? 0);
      samples.add(file.sampleName);
      subjects.add(file.subjectName);
    }
    return { files: count, samples: samples.size, subjects: subjects.size, bytes };
  }
}
