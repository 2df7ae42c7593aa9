import {
  CATEGORY_VALUES,
  DAU_IDS,
  FILTER_CATEGORIES,
  type CatalogFilters,
  type CatalogQuery,
  type CatalogRow,
  type ClickAnswer,
  type Counts,
  type Dau,
  type Facets,
  type Selection,
  type SelectionAnswer,
  type Summary,
  type TouchedDau,
} from '../model';
import { updateCatalogIndex, type ChangedFiles } from './update-index';
import {
  buildCatalogIndex,
  buildCatalogIndexCooperatively,
  fileAt,
  finishCooperatively,
  type CatalogIndexData,
  type GroupTable,
} from './build-index';
import { decodeContinuation, encodeContinuation, queryFingerprint } from './continuation';
import type { IndexedFile } from './indexed-file';

const TWO_32 = 4294967296;

/** A filter evaluated against the index: which combinations, which signatures match. */
interface EvaluatedFilter {
  bitMatch: Uint8Array;
  signatureMatch: Uint8Array;
  facets: Facets;
}

export interface ResolvedSelection {
  answer: SelectionAnswer;
  /** Index positions of the selected files, ascending; `CatalogIndex.file(i)` gives each file. */
  files: Int32Array;
}

/** The in-memory catalog one instance answers clicks from. Immutable: updates build a new index. */
export class CatalogIndex {
  private readonly dausById: ReadonlyMap<string, Dau>;
  private lowerSampleNames: string[] | undefined;
  private fileStamp: Uint32Array | undefined;
  private sampleStamp: Uint32Array | undefined;
  private subjectStamp: Uint32Array | undefined;
  private stamp = 0;

  private constructor(
    private readonly data: CatalogIndexData,
    daus: readonly Dau[],
  ) {
    this.dausById = new Map(daus.map((dau) => [dau.id, dau]));
  }

  static build(files: Iterable<IndexedFile>, daus: readonly Dau[]): CatalogIndex {
    return new CatalogIndex(buildCatalogIndex(files), daus);
  }

  /**
   * Like `build`, giving the event loop a turn every few thousand files (see buildCatalogIndexCooperatively);
   * `knownVersion` is the version these exact files have (a snapshot's), so they need not be hashed.
   */
  static async buildCooperatively(
    files: Iterable<IndexedFile>,
    daus: readonly Dau[],
    knownVersion?: string,
  ): Promise<CatalogIndex> {
    return new CatalogIndex(await buildCatalogIndexCooperatively(files, knownVersion), daus);
  }

  /**
   * A new version with the changes applied in place of a rebuild: only changed files, their samples and
   * subjects are visited (plus bulk copies of the per-file columns, with turns of the event loop between). Undefined when the changes need a full
   * rebuild (a value combination or a tab row the index does not have yet, a sample moving to another subject).
   */
  async withChanges(changed: ChangedFiles, daus: readonly Dau[]): Promise<CatalogIndex | undefined> {
    const data = await finishCooperatively(updateCatalogIndex(this.data, changed));
    return data && new CatalogIndex(data, daus);
  }

  /** The same files with other DAU definitions (DAUs change without files changing). */
  withDaus(daus: readonly Dau[]): CatalogIndex {
    return new CatalogIndex(this.data, daus);
  }

  get version(): string {
    return this.data.version;
  }

  get fileCount(): number {
    return this.data.fileCount;
  }

  get daus(): readonly Dau[] {
    return [...this.dausById.values()];
  }

  /** One click of the data browser: rows of the tab, facet counts, summary panel. */
  click(query: CatalogQuery, held: ReadonlySet<string>): ClickAnswer {
    const filter = this.evaluate(query.filters);
    const summary = this.summary(filter, held);
    const fingerprint = queryFingerprint(query.tab, query.filters, query.search);
    const after =
      query.continuation === undefined ? undefined : decodeContinuation(query.continuation, fingerprint);
    const page =
      query.tab === 'sample'
        ? this.samplePage(filter, query, after, summary.samples)
        : this.groupPage(this.data.tabs[query.tab], filter, query, after);
    return {
      tab: query.tab,
      rows: page.rows,
      totalRows: page.totalRows,
      continuation: page.lastKey === undefined ? null : encodeContinuation(fingerprint, page.lastKey),
      facets: filter.facets,
      summary,
      indexVersion: this.data.version,
    };
  }

  /** Resolves a selection to its files; names that match nothing are reported back, never dropped silently. */
  resolveSelection(selection: Selection, held: ReadonlySet<string>): ResolvedSelection {
    const { bitMatch } = this.evaluate(selection.filters, false);
    const data = this.data;
    const stamp = this.nextStamp();
    const fileStamp = this.fileStamp!;
    const selected: number[] = [];
    const unknownSampleNames: string[] = [];
    const unknownRowIds: string[] = [];
    const addFile = (f: number) => {
      if (bitMatch[data.fileBit[f]!] === 1 && fileStamp[f] !== stamp) {
        fileStamp[f] = stamp;
        selected.push(f);
      }
    };
    const addSample = (name: string, unknown: string[]) => {
      const sample = data.sampleByName.get(name);
      if (sample === undefined) {
        unknown.push(name);
        return;
      }
      for (let f = data.sampleFileStart[sample]!; f < data.sampleFileStart[sample + 1]!; f += 1) addFile(f);
    };
    if ('sampleNames' in selection) {
      for (const name of selection.sampleNames) addSample(name, unknownSampleNames);
    } else if (selection.tab === 'sample') {
      for (const name of selection.rowIds) addSample(name, unknownRowIds);
    } else {
      const table = data.tabs[selection.tab];
      for (const id of selection.rowIds) {
        const group = table.byId.get(id);
        // A row whose files were all deleted stays in an updated index's table, but no longer exists.
        if (group === undefined || table.fileOffsets[group] === table.fileOffsets[group + 1]) {
          unknownRowIds.push(id);
          continue;
        }
        for (let at = table.fileOffsets[group]!; at < table.fileOffsets[group + 1]!; at += 1)
          addFile(table.files[at]!);
      }
    }
    const files = Int32Array.from(selected).sort();
    return {
      files,
      answer: {
        files: files.length,
        summary: this.summaryOfFiles(files, held),
        unknownSampleNames: [...new Set(unknownSampleNames)],
        unknownRowIds: [...new Set(unknownRowIds)],
        indexVersion: data.version,
      },
    };
  }

  /** The file at an index position, as the index keeps it. */
  file(position: number): IndexedFile {
    return fileAt(this.data, position);
  }

  *files(): Generator<IndexedFile> {
    for (let f = 0; f < this.data.fileCount; f += 1) yield this.file(f);
  }

  private evaluate(filters: CatalogFilters, withSignatures = true): EvaluatedFilter {
    const data = this.data;
    const allowed = FILTER_CATEGORIES.map((category) => {
      const values = CATEGORY_VALUES[category];
      const chosen = filters[category] as readonly string[];
      return Uint8Array.from(values, (value) => (chosen.length === 0 || chosen.includes(value) ? 1 : 0));
    }) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const [allowSeq, allowSampleType, allowFileType, allowTissue] = allowed;
    const facetFiles = FILTER_CATEGORIES.map(
      (category) => new Float64Array(CATEGORY_VALUES[category].length),
    );
    const [seqFiles, sampleTypeFiles, fileTypeFiles, tissueFiles] = facetFiles as [
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    const bitMatch = new Uint8Array(data.bitCount);
    const mask = new Uint32Array(data.words);
    for (let bit = 0; bit < data.bitCount; bit += 1) {
      const seq = data.bitSeq[bit]!;
      const sampleType = data.bitSampleType[bit]!;
      const fileType = data.bitFileType[bit]!;
      const tissue = data.bitTissue[bit]!;
      const okSeq = allowSeq[seq]!;
      const okSampleType = allowSampleType[sampleType]!;
      const okFileType = allowFileType[fileType]!;
      const okTissue = allowTissue[tissue]!;
      const files = data.bitFiles[bit]!;
      // Each category's counts apply every other category's filter and ignore its own.
      if (okSampleType & okFileType & okTissue) seqFiles[seq]! += files;
      if (okSeq & okFileType & okTissue) sampleTypeFiles[sampleType]! += files;
      if (okSeq & okSampleType & okTissue) fileTypeFiles[fileType]! += files;
      if (okSeq & okSampleType & okFileType) tissueFiles[tissue]! += files;
      if (okSeq & okSampleType & okFileType & okTissue) {
        bitMatch[bit] = 1;
        mask[bit >>> 5]! |= 1 << (bit & 31);
      }
    }
    const facets = Object.fromEntries(
      FILTER_CATEGORIES.map((category, c) => {
        const chosen = filters[category] as readonly string[];
        const counts = facetFiles[c]!;
        const values = CATEGORY_VALUES[category]
          .map((value, v) => ({ value, files: counts[v]!, selected: chosen.includes(value) }))
          .filter((facet) => facet.files > 0 || facet.selected);
        return [category, values];
      }),
    ) as Facets;

    const signatureMatch = new Uint8Array(withSignatures ? data.signatureCount : 0);
    if (withSignatures) {
      const words = data.words;
      const signatures = data.signatures;
      for (let s = 0, at = 0; s < data.signatureCount; s += 1, at += words) {
        let hit = 0;
        for (let w = 0; w < words; w += 1) hit |= signatures[at + w]! & mask[w]!;
        signatureMatch[s] = hit === 0 ? 0 : 1;
      }
    }
    return { bitMatch, signatureMatch, facets };
  }

  private summary(filter: EvaluatedFilter, held: ReadonlySet<string>): Summary {
    const data = this.data;
    let files = 0;
    let lo = 0;
    let hi = 0;
    const dauFiles = new Float64Array(DAU_IDS.length);
    for (let bit = 0; bit < data.bitCount; bit += 1) {
      if (filter.bitMatch[bit] === 0) continue;
      files += data.bitFiles[bit]!;
      lo += data.bitBytesLo[bit]!;
      hi += data.bitBytesHi[bit]!;
      for (let d = 0; d < DAU_IDS.length; d += 1) dauFiles[d]! += data.dauBitFiles[d * data.bitCount + bit]!;
    }
    const all = data.all;
    return {
      files,
      samples: histogramSum(all.sampleOffsets, all.sampleSigs, all.sampleCounts, 0, filter.signatureMatch),
      subjects: histogramSum(
        all.subjectOffsets,
        all.subjectSigs,
        all.subjectCounts,
        0,
        filter.signatureMatch,
      ),
      bytes: hi * TWO_32 + lo,
      daus: this.touchedDaus(dauFiles, held),
    };
  }

  private summaryOfFiles(files: Int32Array, held: ReadonlySet<string>): Summary {
    const data = this.data;
    const sampleStamp = this.sampleStamp!;
    const subjectStamp = this.subjectStamp!;
    const stamp = this.stamp;
    let samples = 0;
    let subjects = 0;
    let lo = 0;
    let hi = 0;
    const dauFiles = new Float64Array(DAU_IDS.length);
    for (const f of files) {
      lo += data.fileBytesLo[f]!;
      hi += data.fileBytesHi[f]!;
      dauFiles[data.fileDau[f]!]! += 1;
      const sample = data.fileSample[f]!;
      if (sampleStamp[sample] !== stamp) {
        sampleStamp[sample] = stamp;
        samples += 1;
        const subject = data.sampleSubject[sample]!;
        if (subjectStamp[subject] !== stamp) {
          subjectStamp[subject] = stamp;
          subjects += 1;
        }
      }
    }
    return {
      files: files.length,
      samples,
      subjects,
      bytes: hi * TWO_32 + lo,
      daus: this.touchedDaus(dauFiles, held),
    };
  }

  private touchedDaus(dauFiles: Float64Array, held: ReadonlySet<string>): TouchedDau[] {
    const touched: TouchedDau[] = [];
    DAU_IDS.forEach((id, d) => {
      const files = dauFiles[d]!;
      if (files === 0) return;
      const dau = this.dausById.get(id);
      // A DAU without a definition is treated as controlled: never hand out data by accident.
      touched.push({
        id,
        name: dau?.name ?? id,
        access: dau?.access ?? 'controlled',
        files,
        held: held.has(id),
      });
    });
    return touched;
  }

  private groupPage(
    table: GroupTable,
    filter: EvaluatedFilter,
    query: CatalogQuery,
    after: string | undefined,
  ) {
    const search = query.search?.toLowerCase();
    const start = after === undefined ? 0 : firstAfter(table.sortKeys, after);
    const rows: CatalogRow[] = [];
    let totalRows = 0;
    let more = false;
    for (let group = 0; group < table.ids.length; group += 1) {
      let files = 0;
      for (let at = table.comboOffsets[group]!; at < table.comboOffsets[group + 1]!; at += 1) {
        if (filter.bitMatch[table.comboBits[at]!] === 1) files += table.comboFiles[at]!;
      }
      if (files === 0) continue;
      if (
        search !== undefined &&
        !table.labels[group]!.toLowerCase().includes(search) &&
        !table.ids[group]!.toLowerCase().includes(search)
      ) {
        continue;
      }
      totalRows += 1;
      if (group < start) continue;
      if (rows.length === query.pageSize) {
        more = true;
        continue;
      }
      rows.push({
        id: table.ids[group]!,
        label: table.labels[group]!,
        counts: groupCounts(table, group, filter),
      });
    }
    const last = rows.at(-1);
    return { rows, totalRows, lastKey: more && last ? table.sortKeys[table.byId.get(last.id)!] : undefined };
  }

  private samplePage(
    filter: EvaluatedFilter,
    query: CatalogQuery,
    after: string | undefined,
    matchingSamples: number,
  ) {
    const data = this.data;
    const search = query.search?.toLowerCase();
    const names = search === undefined ? data.sampleNames : this.lowerNames();
    const sampleCount = data.sampleNames.length;
    const matches = (sample: number) =>
      filter.signatureMatch[data.sampleSig[sample]!] === 1 &&
      (search === undefined || names[sample]!.includes(search));
    let start = 0;
    if (after !== undefined) {
      // Samples are ordered by (subject, sample name); find the first one after the token's key.
      let low = 0;
      let high = sampleCount;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (this.sampleSortKey(middle) <= after) low = middle + 1;
        else high = middle;
      }
      start = low;
    }
    const rows: CatalogRow[] = [];
    let sample = start;
    for (; sample < sampleCount && rows.length < query.pageSize; sample += 1) {
      if (!matches(sample)) continue;
      let files = 0;
      let lo = 0;
      let hi = 0;
      for (let f = data.sampleFileStart[sample]!; f < data.sampleFileStart[sample + 1]!; f += 1) {
        if (filter.bitMatch[data.fileBit[f]!] === 0) continue;
        files += 1;
        lo += data.fileBytesLo[f]!;
        hi += data.fileBytesHi[f]!;
      }
      const name = data.sampleNames[sample]!;
      rows.push({
        id: name,
        label: name,
        counts: { files, samples: 1, subjects: 1, bytes: hi * TWO_32 + lo },
      });
    }
    let more = false;
    for (; sample < sampleCount && !more; sample += 1) more = matches(sample);
    let totalRows = matchingSamples;
    if (search !== undefined) {
      totalRows = 0;
      for (let s = 0; s < sampleCount; s += 1) if (matches(s)) totalRows += 1;
    }
    const last = rows.at(-1);
    return {
      rows,
      totalRows,
      lastKey: more && last ? this.sampleSortKey(data.sampleByName.get(last.id)!) : undefined,
    };
  }

  private sampleSortKey(sample: number): string {
    const data = this.data;
    return `${data.subjectNames[data.sampleSubject[sample]!]}\u0000${data.sampleNames[sample]}`;
  }

  private lowerNames(): string[] {
    this.lowerSampleNames ??= this.data.sampleNames.map((name) => name.toLowerCase());
    return this.lowerSampleNames;
  }

  /** Stamps mark "seen in this call" without clearing arrays between calls. */
  private nextStamp(): number {
    const data = this.data;
    this.fileStamp ??= new Uint32Array(data.fileCount);
    this.sampleStamp ??= new Uint32Array(data.sampleNames.length);
    this.subjectStamp ??= new Uint32Array(data.subjectNames.length);
    this.stamp += 1;
    return this.stamp;
  }
}

function histogramSum(
  offsets: Int32Array,
  signatures: Int32Array,
  counts: Float64Array,
  group: number,
  signatureMatch: Uint8Array,
): number {
  let total = 0;
  for (let at = offsets[group]!; at < offsets[group + 1]!; at += 1) {
    if (signatureMatch[signatures[at]!] === 1) total += counts[at]!;
  }
  return total;
}

function groupCounts(table: GroupTable, group: number, filter: EvaluatedFilter): Counts {
  let files = 0;
  let lo = 0;
  let hi = 0;
  for (let at = table.comboOffsets[group]!; at < table.comboOffsets[group + 1]!; at += 1) {
    if (filter.bitMatch[table.comboBits[at]!] === 0) continue;
    files += table.comboFiles[at]!;
    lo += table.comboBytesLo[at]!;
    hi += table.comboBytesHi[at]!;
  }
  return {
    files,
    samples: histogramSum(
      table.sampleOffsets,
      table.sampleSigs,
      table.sampleCounts,
      group,
      filter.signatureMatch,
    ),
    subjects: histogramSum(
      table.subjectOffsets,
      table.subjectSigs,
      table.subjectCounts,
      group,
      filter.signatureMatch,
    ),
    bytes: hi * TWO_32 + lo,
  };
}

/** First position whose key sorts after `key` (keys ascending). */
function firstAfter(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! <= key) low = middle + 1;
    else high = middle;
  }
  return low;
}
