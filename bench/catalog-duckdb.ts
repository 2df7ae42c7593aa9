import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { CatalogIndex } from '../shared/catalog/engine/catalog-index';
import { DATASET_NAMES } from '../shared/catalog/generator/parameters';
import {
  CATEGORY_VALUES,
  DAU_IDS,
  FILTER_CATEGORIES,
  type CatalogFilters,
  type CatalogQuery,
  type CatalogRow,
  type Facets,
  type FilterCategory,
} from '../shared/catalog/model';

/**
 * The peer the benchmark measures against: DuckDB (in process) holding the same files and computing the same
 * answer per click with SQL — four facet GROUP BYs, the summary with distinct counts, DAUs, and one page of
 * tab rows with distinct counts per row.
 */
const COLUMN: Record<FilterCategory, string> = {
  sequencingType: 'seq',
  sampleType: 'sample_type',
  fileType: 'file_type',
  tissueType: 'tissue',
};

export interface PeerClick {
  rows: CatalogRow[];
  totalRows: number;
  facets: Facets;
  summary: {
    files: number;
    samples: number;
    subjects: number;
    bytes: number;
    daus: { id: string; files: number }[];
  };
}

export interface PeerSelection {
  files: number[];
  summary: PeerClick['summary'];
}

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

function where(filters: CatalogFilters, ignore?: FilterCategory): string {
  const clauses = FILTER_CATEGORIES.filter(
    (category) => category !== ignore && (filters[category] as readonly string[]).length > 0,
  ).map(
    (category) =>
      `${COLUMN[category]} IN (${(filters[category] as readonly string[]).map(quote).join(', ')})`,
  );
  return clauses.length === 0 ? 'TRUE' : clauses.join(' AND ');
}

export class DuckDbPeer {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** Loads every file of the index (same positions as file numbers) into DuckDB tables. */
  static async load(index: CatalogIndex): Promise<DuckDbPeer> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`CREATE TABLE files (f INTEGER, seq VARCHAR, sample_type VARCHAR, file_type VARCHAR,
      tissue VARCHAR, sample VARCHAR, subject VARCHAR, dau VARCHAR, bytes BIGINT, diag VARCHAR, diag_label VARCHAR)`);
    await connection.run('CREATE TABLE file_datasets (f INTEGER, code VARCHAR, label VARCHAR)');
    await connection.run('CREATE TABLE file_publications (f INTEGER, accession VARCHAR, label VARCHAR)');
    const files = await connection.createAppender('files');
    const datasets = await connection.createAppender('file_datasets');
    const publications = await connection.createAppender('file_publications');
    for (let f = 0; f < index.fileCount; f += 1) {
      const file = index.file(f);
      files.appendInteger(f);
      files.appendVarchar(file.sequencingType);
      files.appendVarchar(file.sampleType);
      files.appendVarchar(file.fileType);
      files.appendVarchar(file.tissuePairing);
      files.appendVarchar(file.sampleName);
      files.appendVarchar(file.subjectName);
      files.appendVarchar(file.dau);
      files.appendBigInt(BigInt(file.fileSizeBytes) + BigInt(file.indexFile?.fileSizeBytes ?? 0));
      files.appendVarchar(file.diagnosis.code);
      files.appendVarchar(file.diagnosis.name);
      files.endRow();
      for (const code of file.datasets) {
        datasets.appendInteger(f);
        datasets.appendVarchar(code);
        datasets.appendVarchar(DATASET_NAMES[code] ?? code);
        datasets.endRow();
      }
      for (const publication of file.publications ?? []) {
        publications.appendInteger(f);
        publications.appendVarchar(publication.accession);
        publications.appendVarchar(publication.title ?? publication.accession);
        publications.endRow();
      }
    }
    for (const appender of [files, datasets, publications]) appender.closeSync();
    return new DuckDbPeer(instance, connection);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async rows(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  }

  async click(query: CatalogQuery): Promise<PeerClick> {
    const filters = query.filters;
    const facetRows = await this.rows(
      FILTER_CATEGORIES.map(
        (category) =>
          `SELECT '${category}' AS category, ${COLUMN[category]} AS value, count(*) AS files FROM files ` +
          `WHERE ${where(filters, category)} GROUP BY ${COLUMN[category]}`,
      ).join(' UNION ALL '),
    );
    const facets = Object.fromEntries(
      FILTER_CATEGORIES.map((category) => {
        const chosen = filters[category] as readonly string[];
        const values = CATEGORY_VALUES[category].map((value) => ({
          value,
          files: Number(
            facetRows.find((row) => row.category === category && row.value === value)?.files ?? 0,
          ),
          selected: chosen.includes(value),
        }));
        return [category, values.filter((facet) => facet.files > 0 || facet.selected)];
      }),
    ) as Facets;
    const summary = await this.summary(`FROM files WHERE ${where(filters)}`);
    const page = await this.page(query);
    return { ...page, facets, summary };
  }

  async selectSamples(sampleNames: readonly string[]): Promise<PeerSelection> {
    const from = `FROM files WHERE sample IN (${sampleNames.map(quote).join(', ')})`;
    const files = (await this.rows(`SELECT f ${from} ORDER BY f`)).map((row) => Number(row.f));
    return { files, summary: await this.summary(from) };
  }

  private async summary(from: string): Promise<PeerClick['summary']> {
    const [totals] = await this.rows(
      `SELECT count(*) AS files, count(DISTINCT sample) AS samples, count(DISTINCT subject) AS subjects, ` +
        `coalesce(sum(bytes), 0) AS bytes ${from}`,
    );
    const dauRows = await this.rows(`SELECT dau, count(*) AS files ${from} GROUP BY dau`);
    return {
      files: Number(totals?.files),
      samples: Number(totals?.samples),
      subjects: Number(totals?.subjects),
      bytes: Number(totals?.bytes),
      daus: DAU_IDS.flatMap((id) => {
        const row = dauRows.find((candidate) => candidate.dau === id);
        return row ? [{ id, files: Number(row.files) }] : [];
      }),
    };
  }

  private async page(query: CatalogQuery): Promise<{ rows: CatalogRow[]; totalRows: number }> {
    const filter = where(query.filters);
    const groupSql = {
      diagnosis: `SELECT diag AS id, any_value(diag_label) AS label, count(*) AS files, count(DISTINCT sample) AS samples,
        count(DISTINCT subject) AS subjects, sum(bytes) AS bytes, lower(any_value(diag_label)) || chr(0) || diag AS sort_key
        FROM files WHERE ${filter} GROUP BY diag`,
      study: `SELECT d.code AS id, any_value(d.label) AS label, count(*) AS files, count(DISTINCT sample) AS samples,
        count(DISTINCT subject) AS subjects, sum(bytes) AS bytes, lower(any_value(d.label)) || chr(0) || d.code AS sort_key
        FROM files JOIN file_datasets d USING (f) WHERE ${filter} GROUP BY d.code`,
      publication: `SELECT p.accession AS id, any_value(p.label) AS label, count(*) AS files, count(DISTINCT sample) AS samples,
        count(DISTINCT subject) AS subjects, sum(bytes) AS bytes, lower(any_value(p.label)) || chr(0) || p.accession AS sort_key
        FROM files JOIN file_publications p USING (f) WHERE ${filter} GROUP BY p.accession`,
      sample: `SELECT sample AS id, sample AS label, count(*) AS files, 1 AS samples, 1 AS subjects, sum(bytes) AS bytes,
        subject || chr(0) || sample AS sort_key FROM files WHERE ${filter} GROUP BY subject, sample`,
    }[query.tab];
    const result = await this.rows(
      `WITH g AS (${groupSql}) SELECT *, count(*) OVER () AS total FROM g ORDER BY sort_key LIMIT ${query.pageSize}`,
    );
    return {
      totalRows: Number(result[0]?.total ?? 0),
      rows: result.map((row) => ({
        id: String(row.id),
        label: String(row.label),
        counts: {
          files: Number(row.files),
          samples: Number(row.samples),
          subjects: Number(row.subjects),
          bytes: Number(row.bytes),
        },
      })),
    };
  }
}
