import type { IndexedFile } from '../../shared/catalog/engine/indexed-file';
import { DATASET_NAMES } from '../../shared/catalog/generator/parameters';
import {
  CATEGORY_VALUES,
  DAU_IDS,
  FILTER_CATEGORIES,
  type CatalogFilters,
  type CatalogRow,
  type CatalogTab,
  type Dau,
  type Facets,
  type FilterCategory,
  type Selection,
  type Summary,
} from '../../shared/catalog/model';

/**
 * A plain, obviously correct implementation of DESIGN §5 used to check the engine: loops over file objects,
 * Sets for distinct counts, BigInt for byte sums. No paging: it returns every row.
 */
const field: Record<FilterCategory, (file: IndexedFile) => string> = {
  sequencingType: (file) => file.sequencingType,
  sampleType: (file) => file.sampleType,
  fileType: (file) => file.fileType,
  tissueType: (file) => file.tissuePairing,
};

export function referenceMatches(
  file: IndexedFile,
  filters: CatalogFilters,
  ignore?: FilterCategory,
): boolean {
  return FILTER_CATEGORIES.every((category) => {
    const chosen = filters[category] as readonly string[];
    return category === ignore || chosen.length === 0 || chosen.includes(field[category](file));
  });
}

const fileBytes = (file: IndexedFile) =>
  BigInt(file.fileSizeBytes) + BigInt(file.indexFile?.fileSizeBytes ?? 0);

export function referenceFacets(files: readonly IndexedFile[], filters: CatalogFilters): Facets {
  return Object.fromEntries(
    FILTER_CATEGORIES.map((category) => {
      const chosen = filters[category] as readonly string[];
      const values = CATEGORY_VALUES[category].map((value) => ({
        value,
        files: files.filter(
          (file) => field[category](file) === value && referenceMatches(file, filters, category),
        ).length,
        selected: chosen.includes(value),
      }));
      return [category, values.filter((facet) => facet.files > 0 || facet.selected)];
    }),
  ) as Facets;
}

export function referenceSummary(
  files: readonly IndexedFile[],
  daus: readonly Dau[],
  held: ReadonlySet<string>,
): Summary {
  return {
    files: files.length,
    samples: new Set(files.map((file) => file.sampleName)).size,
    subjects: new Set(files.map((file) => file.subjectName)).size,
    bytes: Number(files.reduce((sum, file) => sum + fileBytes(file), 0n)),
    daus: DAU_IDS.filter((id) => files.some((file) => file.dau === id)).map((id) => {
      const dau = daus.find((candidate) => candidate.id === id);
      return {
        id,
        name: dau?.name ?? id,
        access: dau?.access ?? 'controlled',
        files: files.filter((file) => file.dau === id).length,
        held: held.has(id),
      };
    }),
  };
}

interface Group {
  id: string;
  label: string;
  sortKey: string;
}

export function referenceGroups(file: IndexedFile, tab: CatalogTab): Group[] {
  switch (tab) {
    case 'diagnosis':
      return [group(file.diagnosis.code, file.diagnosis.name)];
    case 'study':
      return file.datasets.map((code) => group(code, DATASET_NAMES[code] ?? code));
    case 'publication':
      return (file.publications ?? []).map((p) => group(p.accession, p.title ?? p.accession));
    case 'sample':
      return [
        {
          id: file.sampleName,
          label: file.sampleName,
          sortKey: `${file.subjectName}\u0000${file.sampleName}`,
        },
      ];
  }
}

function group(id: string, label: string): Group {
  return { id, label, sortKey: `${label.toLowerCase()}\u0000${id}` };
}

export function referenceRows(
  files: readonly IndexedFile[],
  tab: CatalogTab,
  filters: CatalogFilters,
  search?: string,
): CatalogRow[] {
  const matching = files.filter((file) => referenceMatches(file, filters));
  const groups = new Map<string, { group: Group; files: IndexedFile[] }>();
  for (const file of matching) {
    for (const candidate of referenceGroups(file, tab)) {
      const entry = groups.get(candidate.id) ?? { group: candidate, files: [] };
      entry.files.push(file);
      groups.set(candidate.id, entry);
    }
  }
  const needle = search?.toLowerCase();
  return [...groups.values()]
    .filter(
      ({ group: g }) =>
        needle === undefined || g.label.toLowerCase().includes(needle) || g.id.toLowerCase().includes(needle),
    )
    .sort((a, b) => (a.group.sortKey < b.group.sortKey ? -1 : a.group.sortKey > b.group.sortKey ? 1 : 0))
    .map(({ group: g, files: groupFiles }) => {
      const summary = referenceSummary(groupFiles, [], new Set());
      return {
        id: g.id,
        label: g.label,
        counts: {
          files: summary.files,
          samples: summary.samples,
          subjects: summary.subjects,
          bytes: summary.bytes,
        },
      };
    });
}

export function referenceSelection(files: readonly IndexedFile[], selection: Selection) {
  const wanted = 'sampleNames' in selection ? selection.sampleNames : selection.rowIds;
  const tab: CatalogTab = 'sampleNames' in selection ? 'sample' : selection.tab;
  const known = new Set(files.flatMap((file) => referenceGroups(file, tab).map((g) => g.id)));
  const chosen = new Set(wanted);
  const selected = files.filter(
    (file) =>
      referenceMatches(file, selection.filters) && referenceGroups(file, tab).some((g) => chosen.has(g.id)),
  );
  return { selected, unknown: [...new Set(wanted.filter((id) => !known.has(id)))] };
}
