import type { Database } from '@azure/cosmos';
import { z } from 'zod';
import { FILE_TYPES, indexFileSchema, type DauId } from '../../catalog/model';
import { cosmosContainers } from '../../platform/storage-layout';
import type { VendedFile } from '../model';
import type { CatalogFileSource } from '../ports';

/** The fields of a catalog file a vend needs (a projection: the documents carry much more). */
const vendableFileSchema = z.object({
  id: z.string(),
  filePath: z.string(),
  fileType: z.enum(FILE_TYPES),
  fileSizeBytes: z.number().int().min(0),
  indexFile: indexFileSchema.nullable().optional(),
  sampleName: z.string(),
  subjectName: z.string(),
  sampleType: z.string(),
  sequencingType: z.string(),
  tissuePairing: z.string(),
  diagnosis: z.object({ name: z.string() }),
});

const PAGE = 2000;

/**
 * The catalog's files of one DAU from Cosmos DB `catalogFiles` (partition `/pk` = the DAU): one
 * single-partition query of the projected fields, kept when the frozen selection names the file. Files
 * deleted from the catalog since the freeze are not vended.
 */
export class CosmosCatalogFiles implements CatalogFileSource {
  constructor(private readonly database: Database) {}

  async vendableFiles(dauId: DauId, fileIds: ReadonlySet<string>): Promise<VendedFile[]> {
    // The catalog's container exists (seeded with its indexing policy); it is never created from here.
    const container = this.database.container(cosmosContainers.catalogFiles.id);
    const iterator = container.items.query(
      {
        query:
          'SELECT c.id, c.filePath, c.fileType, c.fileSizeBytes, c.indexFile, c.sampleName, c.subjectName, ' +
          'c.sampleType, c.sequencingType, c.tissuePairing, c.diagnosis FROM c ' +
          'WHERE c.pk = @dau AND (NOT IS_DEFINED(c.deleted) OR c.deleted = false)',
        parameters: [{ name: '@dau', value: dauId }],
      },
      { partitionKey: dauId, maxItemCount: PAGE },
    );
    const files: VendedFile[] = [];
    while (iterator.hasMoreResults()) {
      const { resources } = await iterator.fetchNext();
      for (const resource of resources) {
        const file = vendableFileSchema.parse(resource);
        if (!fileIds.has(file.id)) continue;
        const described = {
          fileId: file.id,
          fileType: file.fileType,
          sampleName: file.sampleName,
          subjectName: file.subjectName,
          sampleType: file.sampleType,
          sequencingType: file.sequencingType,
          tissuePairing: file.tissuePairing,
          diagnosis: file.diagnosis.name,
        };
        files.push({ ...described, path: relative(file.filePath), bytes: file.fileSizeBytes, index: false });
        if (file.indexFile != null) {
          files.push({
            ...described,
            path: indexPath(file.filePath, file.indexFile.fileName),
            bytes: file.indexFile.fileSizeBytes,
            index: true,
          });
        }
      }
    }
    return files;
  }
}

/** Catalog paths start with a slash; blob names do not. */
export function relative(filePath: string): string {
  return filePath.replace(/^\/+/, '');
}

/** The index file sits beside its file. */
export function indexPath(filePath: string, indexFileName: string): string {
  const path = relative(filePath);
  const slash = path.lastIndexOf('/');
  return `${slash < 0 ? '' : path.slice(0, slash + 1)}${indexFileName}`;
}
