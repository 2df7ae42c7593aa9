import {
  DATASET_CODES,
  DAU_IDS,
  FILE_TYPES,
  SAMPLE_TYPES,
  SEQUENCING_TYPES,
  TISSUE_TYPES,
  type CatalogTab,
  type Diagnosis,
  type PublicationRef,
} from '../model';
import { DATASET_NAMES } from '../generator/parameters';
import type { IndexedFile } from './indexed-file';

/**
 * Columnar layout of the catalog, built once per index version.
 *
 * The four filter categories have 3 × 7 × 5 × 3 = 315 value combinations; every file falls in one. A click's
 * filter is a set of combinations, so file and byte counts are sums over per-combination aggregates. Distinct
 * samples and subjects are counted through *signatures*: the set of combinations a sample's (or subject's)
 * files fall in, as a bitmask over the combinations that occur. A sample matches a filter exactly when its
 * signature intersects the filter's mask, so a distinct count is a sum over a small histogram of signatures.
 * Files are ordered by subject, then sample, so both are contiguous ranges.
 */

export const COMBINATIONS =
  SEQUENCING_TYPES.length * SAMPLE_TYPES.length * FILE_TYPES.length * TISSUE_TYPES.length;
const TWO_32 = 4294967296;

/** A tab's groups: per-group aggregates in compressed sparse rows (CSR), groups in display order. */
export interface GroupTable {
  ids: string[];
  labels: string[];
  /** Lower-cased label + id, ascending; the row order and the continuation key. */
  sortKeys: string[];
  byId: ReadonlyMap<string, number>;
  comboOffsets: Int32Array;
  comboBits: Uint16Array;
  comboFiles: Float64Array;
  comboBytesLo: Float64Array;
  comboBytesHi: Float64Array;
  sampleOffsets: Int32Array;
  sampleSigs: Int32Array;
  sampleCounts: Float64Array;
  subjectOffsets: Int32Array;
  subjectSigs: Int32Array;
  subjectCounts: Float64Array;
  fileOffsets: Int32Array;
  files: Int32Array;
}

export interface CatalogIndexData {
  version: string;
  fileCount: number;
  /** Combinations that occur, as bit positions; `bitCategory[c][bit]` is the value index of category c. */
  bitCount: number;
  words: number;
  bitSeq: Uint8Array;
  bitSampleType: Uint8Array;
  bitFileType: Uint8Array;
  bitTissue: Uint8Array;
  bitFiles: Float64Array;
  bitBytesLo: Float64Array;
  bitBytesHi: Float64Array;
  /** Files per (DAU, bit): DAU_IDS.length × bitCount. */
  dauBitFiles: Float64Array;
  signatures: Uint32Array;
  signatureCount: number;
  // Per file, in index order.
  fileBit: Uint16Array;
  fileSample: Int32Array;
  fileDau: Uint8Array;
  fileBytesLo: Float64Array;
  fileBytesHi: Float64Array;
  // Per sample, in index order (by subject, then sample name).
  sampleNames: string[];
  sampleSubject: Int32Array;
  sampleFileStart: Int32Array;
  sampleSig: Int32Array;
  sampleByName: ReadonlyMap<string, number>;
  subjectNames: string[];
  tabs: Readonly<Record<Exclude<CatalogTab, 'sample'>, GroupTable>>;
  all: GroupTable;
  /** Enough to give every file back (manifest, rebuilds). */
  columns: FileColumns;
}

/**
 * Per-file text, append-only and shared by an index and the versions updated from it: a version reaches its
 * files' text through `textRow`, so an update copies a typed array instead of millions of strings. Rows of
 * replaced or deleted files stay behind until the next full rebuild (see `updateCatalogIndex`).
 */
export interface FileTexts {
  ids: string[];
  fileNames: string[];
  filePaths: string[];
  indexFileNames: (string | null)[];
}

export interface FileColumns {
  text: FileTexts;
  textRow: Int32Array;
  fileSizes: Float64Array;
  indexSizes: Float64Array;
  pairedSample: Int32Array;
  pairedSampleNames: string[];
  diagnosis: Int32Array;
  diagnoses: Diagnosis[];
  datasetList: Int32Array;
  datasetLists: (typeof DATASET_CODES)[number][][];
  publicationList: Int32Array;
  publicationLists: PublicationRef[][];
  embargo: Int32Array;
  embargoDates: string[];
}

/** Interns values to dense ids. */
export class Dictionary<T> {
  readonly values: T[] = [];
  private readonly ids = new Map<string, number>();

  /** A dictionary holding `values` under their present ids, to intern more (the given array is not changed). */
  static of<T>(values: readonly T[], keyOf: (value: T) => string): Dictionary<T> {
    const dictionary = new Dictionary<T>();
    for (const value of values) dictionary.idOf(keyOf(value), value);
    return dictionary;
  }

  idOf(key: string, value: T): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(key, id);
      this.values.push(value);
    }
    return id;
  }
}

const SEQ_INDEX = new Map<string, number>(SEQUENCING_TYPES.map((value, index) => [value, index]));
const SAMPLE_TYPE_INDEX = new Map<string, number>(SAMPLE_TYPES.map((value, index) => [value, index]));
const FILE_TYPE_INDEX = new Map<string, number>(FILE_TYPES.map((value, index) => [value, index]));
const TISSUE_INDEX = new Map<string, number>(TISSUE_TYPES.map((value, index) => [value, index]));
export const DAU_INDEX = new Map<string, number>(DAU_IDS.map((value, index) => [value, index]));

export function combinationOf(
  file: Pick<IndexedFile, 'sequencingType' | 'sampleType' | 'fileType' | 'tissuePairing'>,
) {
  return (
    ((SEQ_INDEX.get(file.sequencingType)! * SAMPLE_TYPES.length + SAMPLE_TYPE_INDEX.get(file.sampleType)!) *
      FILE_TYPES.length +
      FILE_TYPE_INDEX.get(file.fileType)!) *
      TISSUE_TYPES.length +
    TISSUE_INDEX.get(file.tissuePairing)!
  );
}

export const diagnosisKey = (diagnosis: Diagnosis) =>
  `${diagnosis.code}\u0000${diagnosis.name}\u0000${diagnosis.group}`;
export const datasetListKey = (datasets: readonly string[]) => datasets.join('\u0000');
export const publicationListKey = (publications: readonly PublicationRef[]) =>
  publications.map((publication) => publication.accession).join('\u0000');

/** Raw columns in input order, before sorting. */
interface Collected {
  combination: number[];
  sampleOf: number[];
  dau: number[];
  columns: Omit<
    FileColumns,
    | 'textRow'
    | 'fileSizes'
    | 'indexSizes'
    | 'pairedSample'
    | 'diagnosis'
    | 'datasetList'
    | 'publicationList'
    | 'embargo'
  > & {
    fileSizes: number[];
    indexSizes: number[];
    pairedSample: number[];
    diagnosis: number[];
    datasetList: number[];
    publicationList: number[];
    embargo: number[];
  };
  sampleNames: Dictionary<string>;
  sampleSubjectName: string[];
  version: ContentVersion;
}

function* collect(
  files: Iterable<IndexedFile>,
  knownVersion: string | undefined,
): Generator<void, Collected> {
  const diagnoses = new Dictionary<Diagnosis>();
  const datasetLists = new Dictionary<(typeof DATASET_CODES)[number][]>();
  const publicationLists = new Dictionary<PublicationRef[]>();
  const embargoDates = new Dictionary<string>();
  const pairedNames = new Dictionary<string>();
  const sampleNames = new Dictionary<string>();
  const sampleSubjectName: string[] = [];
  const out: Collected = {
    combination: [],
    sampleOf: [],
    dau: [],
    columns: {
      text: { ids: [], fileNames: [], filePaths: [], indexFileNames: [] },
      fileSizes: [],
      indexSizes: [],
      pairedSample: [],
      pairedSampleNames: pairedNames.values,
      diagnosis: [],
      diagnoses: diagnoses.values,
      datasetList: [],
      datasetLists: datasetLists.values,
      publicationList: [],
      publicationLists: publicationLists.values,
      embargo: [],
      embargoDates: embargoDates.values,
    },
    sampleNames,
    sampleSubjectName,
    version: knownVersion === undefined ? new ContentVersion() : ContentVersion.parse(knownVersion),
  };
  const c = out.columns;
  for (const file of files) {
    if (out.combination.length % YIELD_EVERY_FILES === YIELD_EVERY_FILES - 1) yield;
    out.combination.push(combinationOf(file));
    const sample = sampleNames.idOf(file.sampleName, file.sampleName);
    if (sample === sampleSubjectName.length) sampleSubjectName.push(file.subjectName);
    out.sampleOf.push(sample);
    out.dau.push(DAU_INDEX.get(file.dau)!);
    c.text.ids.push(file.id);
    c.text.fileNames.push(file.fileName);
    c.text.filePaths.push(file.filePath);
    c.text.indexFileNames.push(file.indexFile?.fileName ?? null);
    c.fileSizes.push(file.fileSizeBytes);
    c.indexSizes.push(file.indexFile?.fileSizeBytes ?? -1);
    c.pairedSample.push(
      file.pairedSampleName == null ? -1 : pairedNames.idOf(file.pairedSampleName, file.pairedSampleName),
    );
    c.diagnosis.push(diagnoses.idOf(diagnosisKey(file.diagnosis), file.diagnosis));
    c.datasetList.push(datasetLists.idOf(datasetListKey(file.datasets), [...file.datasets]));
    const publications = file.publications ?? [];
    c.publicationList.push(publicationLists.idOf(publicationListKey(publications), publications));
    c.embargo.push(embargoDates.idOf(file.embargoDate, file.embargoDate));
    if (knownVersion === undefined) out.version.add(file);
  }
  return out;
}

export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface TabSource {
  ids: string[];
  labels: string[];
  /** Groups of each file, by the file's list id. */
  fileList: Int32Array;
  lists: number[][];
}

/** Builds the index in one go (tests, benchmarks). */
export function buildCatalogIndex(files: Iterable<IndexedFile>): CatalogIndexData {
  return finish(buildSteps(files));
}

/**
 * Builds the index and gives the event loop a turn about every YIELD_EVERY_FILES files, so an instance keeps
 * answering from its previous index while a large rebuild runs.
 */
export function buildCatalogIndexCooperatively(
  files: Iterable<IndexedFile>,
  knownVersion?: string,
): Promise<CatalogIndexData> {
  return finishCooperatively(buildSteps(files, knownVersion));
}

/** Runs a stepwise computation to its end at once. */
export function finish<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/** Runs a stepwise computation, letting the event loop take a turn (`setImmediate`) between steps. */
export async function finishCooperatively<T>(steps: Generator<void, T>): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Files handled between two turns of the event loop during a cooperative build (a few milliseconds' work). */
export const YIELD_EVERY_FILES = 20_000;

/**
 * `knownVersion`: the version these exact files are known to have (a snapshot's), which spares hashing every
 * file — a third of a build.
 */
function* buildSteps(files: Iterable<IndexedFile>, knownVersion?: string): Generator<void, CatalogIndexData> {
  const raw = yield* collect(files, knownVersion);
  const n = raw.combination.length;

  // Order: subject name, sample name, file name.
  const sampleCount = raw.sampleNames.values.length;
  const sampleOrder = Array.from({ length: sampleCount }, (_, i) => i).sort(
    (a, b) =>
      compareText(raw.sampleSubjectName[a]!, raw.sampleSubjectName[b]!) ||
      compareText(raw.sampleNames.values[a]!, raw.sampleNames.values[b]!),
  );
  const sampleRank = new Int32Array(sampleCount);
  sampleOrder.forEach((sample, rank) => (sampleRank[sample] = rank));
  const sampleFileStart = new Int32Array(sampleCount + 1);
  for (let f = 0; f < n; f += 1) sampleFileStart[sampleRank[raw.sampleOf[f]!]! + 1]! += 1;
  for (let s = 0; s < sampleCount; s += 1) sampleFileStart[s + 1]! += sampleFileStart[s]!;
  const order = new Int32Array(n);
  const fill = sampleFileStart.slice(0, sampleCount);
  for (let f = 0; f < n; f += 1) order[fill[sampleRank[raw.sampleOf[f]!]!]!++] = f;
  for (let s = 0; s < sampleCount; s += 1) {
    const start = sampleFileStart[s]!;
    const end = sampleFileStart[s + 1]!;
    if (Math.floor(start / YIELD_EVERY_FILES) !== Math.floor(end / YIELD_EVERY_FILES)) yield;
    if (end - start > 1) {
      const range = Array.from(order.subarray(start, end)).sort((a, b) =>
        compareText(raw.columns.text.fileNames[a]!, raw.columns.text.fileNames[b]!),
      );
      order.set(range, start);
    }
  }

  const sampleNames = sampleOrder.map((sample) => raw.sampleNames.values[sample]!);
  const subjectNames: string[] = [];
  const sampleSubject = new Int32Array(sampleCount);
  for (let s = 0; s < sampleCount; s += 1) {
    const subject = raw.sampleSubjectName[sampleOrder[s]!]!;
    if (subjectNames.at(-1) !== subject) subjectNames.push(subject);
    sampleSubject[s] = subjectNames.length - 1;
  }

  // Bits: combinations that occur, in combination order.
  const combinationBit = new Int32Array(COMBINATIONS).fill(-1);
  for (const combination of raw.combination) combinationBit[combination] = 0;
  let bitCount = 0;
  for (let c = 0; c < COMBINATIONS; c += 1) if (combinationBit[c] === 0) combinationBit[c] = bitCount++;
  const words = Math.max(1, Math.ceil(bitCount / 32));
  const bitSeq = new Uint8Array(bitCount);
  const bitSampleType = new Uint8Array(bitCount);
  const bitFileType = new Uint8Array(bitCount);
  const bitTissue = new Uint8Array(bitCount);
  for (let c = 0; c < COMBINATIONS; c += 1) {
    const bit = combinationBit[c]!;
    if (bit < 0) continue;
    bitTissue[bit] = c % TISSUE_TYPES.length;
    bitFileType[bit] = Math.floor(c / TISSUE_TYPES.length) % FILE_TYPES.length;
    bitSampleType[bit] = Math.floor(c / (TISSUE_TYPES.length * FILE_TYPES.length)) % SAMPLE_TYPES.length;
    bitSeq[bit] = Math.floor(c / (TISSUE_TYPES.length * FILE_TYPES.length * SAMPLE_TYPES.length));
  }

  // Per-file columns in index order.
  const c = raw.columns;
  const fileBit = new Uint16Array(n);
  const fileSample = new Int32Array(n);
  const fileDau = new Uint8Array(n);
  const fileBytesLo = new Float64Array(n);
  const fileBytesHi = new Float64Array(n);
  const columns: FileColumns = {
    text: c.text,
    textRow: new Int32Array(n),
    fileSizes: new Float64Array(n),
    indexSizes: new Float64Array(n),
    pairedSample: new Int32Array(n),
    pairedSampleNames: c.pairedSampleNames,
    diagnosis: new Int32Array(n),
    diagnoses: c.diagnoses,
    datasetList: new Int32Array(n),
    datasetLists: c.datasetLists,
    publicationList: new Int32Array(n),
    publicationLists: c.publicationLists,
    embargo: new Int32Array(n),
    embargoDates: c.embargoDates,
  };
  for (let f = 0; f < n; f += 1) {
    if (f % YIELD_EVERY_FILES === YIELD_EVERY_FILES - 1) yield;
    const from = order[f]!;
    fileBit[f] = combinationBit[raw.combination[from]!]!;
    fileSample[f] = sampleRank[raw.sampleOf[from]!]!;
    fileDau[f] = raw.dau[from]!;
    const bytes = c.fileSizes[from]! + Math.max(0, c.indexSizes[from]!);
    fileBytesLo[f] = bytes % TWO_32;
    fileBytesHi[f] = Math.floor(bytes / TWO_32);
    columns.textRow[f] = from;
    columns.fileSizes[f] = c.fileSizes[from]!;
    columns.indexSizes[f] = c.indexSizes[from]!;
    columns.pairedSample[f] = c.pairedSample[from]!;
    columns.diagnosis[f] = c.diagnosis[from]!;
    columns.datasetList[f] = c.datasetList[from]!;
    columns.publicationList[f] = c.publicationList[from]!;
    columns.embargo[f] = c.embargo[from]!;
  }

  const bitFiles = new Float64Array(bitCount);
  const bitBytesLo = new Float64Array(bitCount);
  const bitBytesHi = new Float64Array(bitCount);
  const dauBitFiles = new Float64Array(DAU_IDS.length * bitCount);
  for (let f = 0; f < n; f += 1) {
    const bit = fileBit[f]!;
    bitFiles[bit]! += 1;
    bitBytesLo[bit]! += fileBytesLo[f]!;
    bitBytesHi[bit]! += fileBytesHi[f]!;
    dauBitFiles[fileDau[f]! * bitCount + bit]! += 1;
  }

  const signatures = new SignatureInterner(words);
  const subjectFileStart = new Int32Array(subjectNames.length + 1);
  for (let s = 0; s < sampleCount; s += 1) subjectFileStart[sampleSubject[s]! + 1] = sampleFileStart[s + 1]!;
  const context: TableContext = {
    bitCount,
    words,
    fileBit,
    fileBytesLo,
    fileBytesHi,
    sampleFileStart,
    subjectFileStart,
    sampleSubject,
    signatures,
  };

  const sampleSig = new Int32Array(sampleCount);
  const all = yield* buildGroupTable(
    context,
    { ids: ['all'], labels: ['all'], fileList: new Int32Array(n), lists: [[0]] },
    (sample, signature) => (sampleSig[sample] = signature),
  );
  const tabs = {
    diagnosis: yield* buildGroupTable(context, diagnosisSource(columns)),
    study: yield* buildGroupTable(context, datasetSource(columns)),
    publication: yield* buildGroupTable(context, publicationSource(columns)),
  };

  return {
    version: raw.version.toString(n),
    fileCount: n,
    bitCount,
    words,
    bitSeq,
    bitSampleType,
    bitFileType,
    bitTissue,
    bitFiles,
    bitBytesLo,
    bitBytesHi,
    dauBitFiles,
    signatures: signatures.table(),
    signatureCount: signatures.count,
    fileBit,
    fileSample,
    fileDau,
    fileBytesLo,
    fileBytesHi,
    sampleNames,
    sampleSubject,
    sampleFileStart,
    sampleSig,
    sampleByName: new Map(sampleNames.map((name, index) => [name, index])),
    subjectNames,
    tabs,
    all,
    columns,
  };
}

function diagnosisSource(columns: FileColumns): TabSource {
  const byCode = new Map<string, number>();
  const ids: string[] = [];
  const labels: string[] = [];
  const lists = columns.diagnoses.map((diagnosis) => {
    let group = byCode.get(diagnosis.code);
    if (group === undefined) {
      group = ids.length;
      byCode.set(diagnosis.code, group);
      ids.push(diagnosis.code);
      labels.push(diagnosis.name);
    }
    return [group];
  });
  return { ids, labels, fileList: columns.diagnosis, lists };
}

function datasetSource(columns: FileColumns): TabSource {
  const byCode = new Map<string, number>();
  const ids: string[] = [];
  const labels: string[] = [];
  const lists = columns.datasetLists.map((codes) =>
    codes.map((code) => {
      let group = byCode.get(code);
      if (group === undefined) {
        group = ids.length;
        byCode.set(code, group);
        ids.push(code);
        labels.push(DATASET_NAMES[code] ?? code);
      }
      return group;
    }),
  );
  return { ids, labels, fileList: columns.datasetList, lists };
}

function publicationSource(columns: FileColumns): TabSource {
  const byAccession = new Map<string, number>();
  const ids: string[] = [];
  const labels: string[] = [];
  const lists = columns.publicationLists.map((publications) =>
    publications.map((publication) => {
      let group = byAccession.get(publication.accession);
      if (group === undefined) {
        group = ids.length;
        byAccession.set(publication.accession, group);
        ids.push(publication.accession);
        labels.push(publication.title ?? publication.accession);
      }
      return group;
    }),
  );
  return { ids, labels, fileList: columns.publicationList, lists };
}

export class SignatureInterner {
  private readonly ids = new Map<string, number>();
  private data: Uint32Array;
  count = 0;

  constructor(private readonly words: number) {
    this.data = new Uint32Array(words * 64);
  }

  /** An interner that already holds `table` (signature ids kept), for updating an index. */
  static of(words: number, table: Uint32Array, count: number): SignatureInterner {
    const interner = new SignatureInterner(words);
    for (let id = 0; id < count; id += 1) interner.intern(table, id * words);
    return interner;
  }

  /** The id of the signature in `scratch[offset .. offset + words)`. */
  intern(scratch: Uint32Array, offset: number): number {
    let key = '';
    for (let w = 0; w < this.words; w += 1) key += `${scratch[offset + w]!.toString(36)},`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.count++;
      this.ids.set(key, id);
      if (this.count * this.words > this.data.length) {
        const grown = new Uint32Array(this.data.length * 2);
        grown.set(this.data);
        this.data = grown;
      }
      this.data.set(scratch.subarray(offset, offset + this.words), id * this.words);
    }
    return id;
  }

  table(): Uint32Array {
    return this.data.slice(0, this.count * this.words);
  }
}

interface TableContext {
  bitCount: number;
  words: number;
  fileBit: Uint16Array;
  fileBytesLo: Float64Array;
  fileBytesHi: Float64Array;
  sampleFileStart: Int32Array;
  subjectFileStart: Int32Array;
  sampleSubject: Int32Array;
  signatures: SignatureInterner;
}

/** Per-group histograms of signatures, built one sample (and one subject) at a time. */
/** A tab's sample or subject histogram: per row, the signatures present and how many entities have each. */
export interface HistogramCsr {
  readonly offsets: Int32Array;
  readonly sigs: Int32Array;
  readonly counts: Float64Array;
}

class HistogramBuilder {
  private readonly scratch: Uint32Array;
  private readonly touched: number[] = [];
  private readonly isTouched: Uint8Array;
  private readonly counts: Map<number, number>[];

  constructor(
    groupCount: number,
    private readonly words: number,
    private readonly signatures: SignatureInterner,
  ) {
    this.scratch = new Uint32Array(groupCount * words);
    this.isTouched = new Uint8Array(groupCount);
    this.counts = Array.from({ length: groupCount }, () => new Map<number, number>());
  }

  mark(group: number, bit: number): void {
    this.scratch[group * this.words + (bit >>> 5)]! |= 1 << (bit & 31);
    if (this.isTouched[group] === 0) {
      this.isTouched[group] = 1;
      this.touched.push(group);
    }
  }

  /** Closes one entity (sample or subject): each touched group counts it once under its signature. */
  close(onSignature?: (group: number, signature: number) => void): void {
    for (const group of this.touched) {
      const offset = group * this.words;
      const signature = this.signatures.intern(this.scratch, offset);
      const counts = this.counts[group]!;
      counts.set(signature, (counts.get(signature) ?? 0) + 1);
      onSignature?.(group, signature);
      this.scratch.fill(0, offset, offset + this.words);
      this.isTouched[group] = 0;
    }
    this.touched.length = 0;
  }

  toCsr(): HistogramCsr {
    const offsets = new Int32Array(this.counts.length + 1);
    this.counts.forEach((counts, group) => (offsets[group + 1] = offsets[group]! + counts.size));
    const total = offsets[this.counts.length]!;
    const sigs = new Int32Array(total);
    const counts = new Float64Array(total);
    this.counts.forEach((groupCounts, group) => {
      let at = offsets[group]!;
      for (const [signature, count] of groupCounts) {
        sigs[at] = signature;
        counts[at] = count;
        at += 1;
      }
    });
    return { offsets, sigs, counts };
  }
}

function* buildGroupTable(
  context: TableContext,
  source: TabSource,
  onSampleSignature?: (sample: number, signature: number) => void,
): Generator<void, GroupTable> {
  const { bitCount, words, fileBit, fileBytesLo, fileBytesHi, sampleFileStart, subjectFileStart } = context;
  const groupCount = source.ids.length;
  const n = fileBit.length;

  // Display order: by label, then id; remap group numbers to that order.
  const sortKeys = source.labels.map((label, group) => `${label.toLowerCase()}\u0000${source.ids[group]}`);
  const displayOrder = Array.from({ length: groupCount }, (_, g) => g).sort((a, b) =>
    compareText(sortKeys[a]!, sortKeys[b]!),
  );
  const rank = new Int32Array(groupCount);
  displayOrder.forEach((group, position) => (rank[group] = position));
  const lists = source.lists.map((list) => list.map((group) => rank[group]!));

  const dense = new Float64Array(groupCount * bitCount * 3);
  const fileOffsets = new Int32Array(groupCount + 1);
  for (let f = 0; f < n; f += 1) {
    if (f % YIELD_EVERY_FILES === YIELD_EVERY_FILES - 1) yield;
    const bit = fileBit[f]!;
    for (const group of lists[source.fileList[f]!]!) {
      const at = (group * bitCount + bit) * 3;
      dense[at]! += 1;
      dense[at + 1]! += fileBytesLo[f]!;
      dense[at + 2]! += fileBytesHi[f]!;
      fileOffsets[group + 1]! += 1;
    }
  }
  for (let g = 0; g < groupCount; g += 1) fileOffsets[g + 1]! += fileOffsets[g]!;
  const groupFiles = new Int32Array(fileOffsets[groupCount]!);
  const fill = fileOffsets.slice(0, groupCount);
  for (let f = 0; f < n; f += 1) {
    if (f % YIELD_EVERY_FILES === YIELD_EVERY_FILES - 1) yield;
    for (const group of lists[source.fileList[f]!]!) groupFiles[fill[group]!++] = f;
  }

  const samples = new HistogramBuilder(groupCount, words, context.signatures);
  const subjects = new HistogramBuilder(groupCount, words, context.signatures);
  const subjectCount = subjectFileStart.length - 1;
  let sample = 0;
  for (let subject = 0; subject < subjectCount; subject += 1) {
    const subjectEnd = subjectFileStart[subject + 1]!;
    while (sample < sampleFileStart.length - 1 && sampleFileStart[sample]! < subjectEnd) {
      const first = sampleFileStart[sample]!;
      const end = sampleFileStart[sample + 1]!;
      if (Math.floor(first / YIELD_EVERY_FILES) !== Math.floor(end / YIELD_EVERY_FILES)) yield;
      for (let f = first; f < end; f += 1) {
        const bit = fileBit[f]!;
        for (const group of lists[source.fileList[f]!]!) {
          samples.mark(group, bit);
          subjects.mark(group, bit);
        }
      }
      const current = sample;
      samples.close(onSampleSignature && ((_, signature) => onSampleSignature(current, signature)));
      sample += 1;
    }
    subjects.close();
  }
  const ids = displayOrder.map((group) => source.ids[group]!);
  return groupTable(
    {
      ids,
      labels: displayOrder.map((group) => source.labels[group]!),
      sortKeys: displayOrder.map((group) => sortKeys[group]!),
      byId: new Map(ids.map((id, position) => [id, position])),
    },
    { dense, groupCount, bitCount, samples, subjects, fileOffsets, files: groupFiles },
  );
}

/**
 * The index version: a content hash over what answers and manifests show of every file. Each file hashes on
 * its own (two FNV-1a lanes, 64 bits) and the version is the sum of the file hashes, so it does not depend on
 * the order files arrived in, and an update adjusts it by subtracting the old files and adding the new ones.
 */
export class ContentVersion {
  private a = 0;
  private b = 0;

  static parse(version: string): ContentVersion {
    const parsed = new ContentVersion();
    parsed.a = Number.parseInt(version.slice(0, 8), 16);
    parsed.b = Number.parseInt(version.slice(8, 16), 16);
    return parsed;
  }

  add(file: IndexedFile, sign: 1 | -1 = 1): void {
    const text = [
      file.id,
      file.fileName,
      file.filePath,
      file.fileSizeBytes,
      file.indexFile?.fileName ?? '',
      file.indexFile?.fileSizeBytes ?? -1,
      combinationOf(file),
      file.sampleName,
      file.subjectName,
      file.pairedSampleName ?? '',
      file.dau,
      file.datasets.join(','),
      file.diagnosis.code,
      file.diagnosis.name,
      file.diagnosis.group,
      (file.publications ?? [])
        .map((publication) => `${publication.accession}:${publication.title ?? ''}`)
        .join(','),
      file.embargoDate,
    ].join('\u0000');
    let a = 0x811c9dc5;
    let b = 0x5bd1e995;
    for (let i = 0; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      a = Math.imul(a ^ code, 0x01000193);
      b = Math.imul(b ^ code, 0x5bd1e995) ^ (b >>> 15);
    }
    this.a = (this.a + sign * (a >>> 0)) >>> 0;
    this.b = (this.b + sign * (b >>> 0)) >>> 0;
  }

  toString(fileCount: number): string {
    return `${this.a.toString(16).padStart(8, '0')}${this.b.toString(16).padStart(8, '0')}-${fileCount}`;
  }
}

/** The file at an index position, as the index keeps it. */
export function fileAt(data: CatalogIndexData, position: number): IndexedFile {
  const c = data.columns;
  const bit = data.fileBit[position]!;
  const sample = data.fileSample[position]!;
  const row = c.textRow[position]!;
  const indexFileName = c.text.indexFileNames[row];
  const paired = c.pairedSample[position]!;
  return {
    id: c.text.ids[row]!,
    fileName: c.text.fileNames[row]!,
    filePath: c.text.filePaths[row]!,
    fileType: FILE_TYPES[data.bitFileType[bit]!]!,
    fileSizeBytes: c.fileSizes[position]!,
    indexFile:
      indexFileName == null ? null : { fileName: indexFileName, fileSizeBytes: c.indexSizes[position]! },
    sequencingType: SEQUENCING_TYPES[data.bitSeq[bit]!]!,
    sampleName: data.sampleNames[sample]!,
    sampleType: SAMPLE_TYPES[data.bitSampleType[bit]!]!,
    subjectName: data.subjectNames[data.sampleSubject[sample]!]!,
    tissuePairing: TISSUE_TYPES[data.bitTissue[bit]!]!,
    pairedSampleName: paired < 0 ? null : c.pairedSampleNames[paired]!,
    dau: DAU_IDS[data.fileDau[position]!]!,
    datasets: c.datasetLists[c.datasetList[position]!]!,
    diagnosis: c.diagnoses[c.diagnosis[position]!]!,
    publications: c.publicationLists[c.publicationList[position]!]!,
    embargoDate: c.embargoDates[c.embargo[position]!]!,
  };
}

/** What both the full build and the in-place update gather before laying out a tab's table. */
export interface GroupTableParts {
  /** Files, bytes low, bytes high for every row × combination bit. */
  readonly dense: Float64Array;
  readonly groupCount: number;
  readonly bitCount: number;
  readonly samples: { toCsr(): HistogramCsr };
  readonly subjects: { toCsr(): HistogramCsr };
  readonly fileOffsets: Int32Array;
  readonly files: Int32Array;
}

/**
 * Lays out a tab's table: the dense per-row aggregates become sparse per-row lists (only combinations a row
 * actually has) and the sample/subject histograms become CSR arrays.
 */
export function groupTable(
  rows: Pick<GroupTable, 'ids' | 'labels' | 'sortKeys' | 'byId'>,
  { dense, groupCount, bitCount, samples, subjects, fileOffsets, files }: GroupTableParts,
): GroupTable {
  const comboOffsets = new Int32Array(groupCount + 1);
  for (let g = 0; g < groupCount; g += 1) {
    let used = 0;
    for (let bit = 0; bit < bitCount; bit += 1) if (dense[(g * bitCount + bit) * 3]! > 0) used += 1;
    comboOffsets[g + 1] = comboOffsets[g]! + used;
  }
  const entries = comboOffsets[groupCount]!;
  const comboBits = new Uint16Array(entries);
  const comboFiles = new Float64Array(entries);
  const comboBytesLo = new Float64Array(entries);
  const comboBytesHi = new Float64Array(entries);
  let at = 0;
  for (let g = 0; g < groupCount; g += 1) {
    for (let bit = 0; bit < bitCount; bit += 1) {
      const from = (g * bitCount + bit) * 3;
      if (dense[from]! === 0) continue;
      comboBits[at] = bit;
      comboFiles[at] = dense[from]!;
      comboBytesLo[at] = dense[from + 1]!;
      comboBytesHi[at] = dense[from + 2]!;
      at += 1;
    }
  }
  const sampleCsr = samples.toCsr();
  const subjectCsr = subjects.toCsr();
  return {
    ...rows,
    comboOffsets,
    comboBits,
    comboFiles,
    comboBytesLo,
    comboBytesHi,
    sampleOffsets: sampleCsr.offsets,
    sampleSigs: sampleCsr.sigs,
    sampleCounts: sampleCsr.counts,
    subjectOffsets: subjectCsr.offsets,
    subjectSigs: subjectCsr.sigs,
    subjectCounts: subjectCsr.counts,
    fileOffsets,
    files,
  };
}
