import { DATASET_NAMES } from '../generator/parameters';
import { DAU_IDS, FILE_TYPES, SAMPLE_TYPES, TISSUE_TYPES, type CatalogTab } from '../model';
import {
  COMBINATIONS,
  ContentVersion,
  DAU_INDEX,
  Dictionary,
  SignatureInterner,
  combinationOf,
  compareText,
  datasetListKey,
  diagnosisKey,
  fileAt,
  groupTable,
  publicationListKey,
  type CatalogIndexData,
  type FileColumns,
  type GroupTable,
  YIELD_EVERY_FILES,
} from './build-index';
import type { IndexedFile } from './indexed-file';

/** The latest version of each changed file, by id; null marks a deletion. */
export type ChangedFiles = ReadonlyMap<string, IndexedFile | null>;

const TWO_32 = 4294967296;
const NONE_ADDED: readonly number[] = [];
/** Files looked up between two turns of the event loop while finding the changed ones. */
const SCAN_STEP = 5 * YIELD_EVERY_FILES;
type TableName = Exclude<CatalogTab, 'sample'> | 'all';

/** Per-file columns and per-sample ranges an update reads from (the old index) or writes (the new one). */
interface FileLayout {
  fileBit: Uint16Array;
  fileBytesLo: Float64Array;
  fileBytesHi: Float64Array;
  columns: FileColumns;
  sampleFileStart: Int32Array;
  sampleSubject: Int32Array;
}

/**
 * Applies change-feed changes to an index, giving a new index data object; the old one is not modified (its
 * typed arrays are copied, never written). Files keep the full build's order (subject, sample, file name), so
 * the result answers every click and selection exactly like an index built from scratch over the same files.
 *
 * What it costs: linear copies of the per-file columns (typed arrays and plain arrays, no string work), plus
 * work proportional to the changed files and the samples and subjects they touch: per-combination aggregates
 * get the changed files subtracted and added, and the signature histograms lose the touched samples' and
 * subjects' old signatures and gain their new ones.
 *
 * A value combination that did not occur yet gets the next free bit (signatures widen when needed). Returns
 * undefined when the changes need structures this index does not have — a diagnosis, data set or publication
 * that is not a row yet (row order), a row label that differs from the one shown, a sample under another
 * subject — or when replaced files' text rows outnumber the live ones: a full rebuild then.
 */
export function* updateCatalogIndex(
  old: CatalogIndexData,
  changed: ChangedFiles,
): Generator<void, CatalogIndexData | undefined> {
  const oldCount = old.fileCount;
  const removedPositions: number[] = [];
  const removed = new Uint8Array(oldCount);
  for (let f = 0; f < oldCount; f += 1) {
    if (f % SCAN_STEP === SCAN_STEP - 1) yield;
    if (changed.has(old.columns.text.ids[old.columns.textRow[f]!]!)) {
      removed[f] = 1;
      removedPositions.push(f);
    }
  }
  const added = [...changed.values()].filter((file): file is IndexedFile => file !== null);
  const text = old.columns.text;
  // Text rows of replaced and deleted files accumulate until a full rebuild, which happens past this share.
  if (text.ids.length + added.length > 2 * (oldCount - removedPositions.length + added.length) + 1000) {
    return undefined;
  }

  const combinationBit = new Int32Array(COMBINATIONS).fill(-1);
  for (let bit = 0; bit < old.bitCount; bit += 1) {
    combinationBit[
      ((old.bitSeq[bit]! * SAMPLE_TYPES.length + old.bitSampleType[bit]!) * FILE_TYPES.length +
        old.bitFileType[bit]!) *
        TISSUE_TYPES.length +
        old.bitTissue[bit]!
    ] = bit;
  }
  // Combinations that did not occur yet get the next bits (answers do not depend on the order of bits).
  const bitValues = {
    seq: Array.from(old.bitSeq),
    sampleType: Array.from(old.bitSampleType),
    fileType: Array.from(old.bitFileType),
    tissue: Array.from(old.bitTissue),
  };
  for (const file of added) {
    const combination = combinationOf(file);
    if (combinationBit[combination]! >= 0) continue;
    combinationBit[combination] = bitValues.seq.length;
    bitValues.tissue.push(combination % TISSUE_TYPES.length);
    bitValues.fileType.push(Math.floor(combination / TISSUE_TYPES.length) % FILE_TYPES.length);
    bitValues.sampleType.push(
      Math.floor(combination / (TISSUE_TYPES.length * FILE_TYPES.length)) % SAMPLE_TYPES.length,
    );
    bitValues.seq.push(
      Math.floor(combination / (TISSUE_TYPES.length * FILE_TYPES.length * SAMPLE_TYPES.length)),
    );
  }
  const bitCount = bitValues.seq.length;
  const words = Math.max(1, Math.ceil(bitCount / 32));

  const oc = old.columns;
  const diagnoses = Dictionary.of(oc.diagnoses, diagnosisKey);
  const datasetLists = Dictionary.of(oc.datasetLists, datasetListKey);
  const publicationLists = Dictionary.of(oc.publicationLists, (list) => publicationListKey(list));
  const embargoDates = Dictionary.of(oc.embargoDates, (date) => date);
  const pairedSampleNames = [...oc.pairedSampleNames];
  const interned = added.map((file) => ({
    diagnosis: diagnoses.idOf(diagnosisKey(file.diagnosis), file.diagnosis),
    datasetList: datasetLists.idOf(datasetListKey(file.datasets), [...file.datasets]),
    publicationList: publicationLists.idOf(
      publicationListKey(file.publications ?? []),
      file.publications ?? [],
    ),
    embargo: embargoDates.idOf(file.embargoDate, file.embargoDate),
  }));
  const columnsDictionaries = {
    diagnoses: diagnoses.values,
    datasetLists: datasetLists.values,
    publicationLists: publicationLists.values,
  };
  const lists = {
    diagnosis: tabLists(old.tabs.diagnosis, 'diagnosis', columnsDictionaries, oc),
    study: tabLists(old.tabs.study, 'study', columnsDictionaries, oc),
    publication: tabLists(old.tabs.publication, 'publication', columnsDictionaries, oc),
  };
  if (lists.diagnosis === undefined || lists.study === undefined || lists.publication === undefined) {
    return undefined;
  }

  // Samples: the old ones that keep a file, and new ones, in (subject, sample name) order.
  const oldSampleCount = old.sampleNames.length;
  const remaining = new Int32Array(oldSampleCount);
  for (let s = 0; s < oldSampleCount; s += 1)
    remaining[s] = old.sampleFileStart[s + 1]! - old.sampleFileStart[s]!;
  for (const f of removedPositions) remaining[old.fileSample[f]!]! -= 1;
  const addedBySample = new Map<string, number[]>();
  const newSampleSubject = new Map<string, string>();
  for (const [a, file] of added.entries()) {
    const known = old.sampleByName.get(file.sampleName);
    const subject =
      known === undefined
        ? (newSampleSubject.get(file.sampleName) ?? file.subjectName)
        : old.subjectNames[old.sampleSubject[known]!]!;
    if (subject !== file.subjectName) return undefined;
    if (known === undefined) newSampleSubject.set(file.sampleName, subject);
    const forSample = addedBySample.get(file.sampleName) ?? [];
    forSample.push(a);
    addedBySample.set(file.sampleName, forSample);
  }
  for (const adds of addedBySample.values()) {
    adds.sort((a, b) => compareText(added[a]!.fileName, added[b]!.fileName));
  }
  const newSamples = [...newSampleSubject].sort(
    ([nameA, subjectA], [nameB, subjectB]) => compareText(subjectA, subjectB) || compareText(nameA, nameB),
  );
  const changedSamples = new Set<number>();
  for (const f of removedPositions) changedSamples.add(old.fileSample[f]!);
  for (const name of addedBySample.keys()) {
    const known = old.sampleByName.get(name);
    if (known !== undefined) changedSamples.add(known);
  }
  // Most refreshes neither add nor empty a sample: the sample and subject tables then carry over as they are.
  const samplesUnchanged =
    newSamples.length === 0 &&
    [...changedSamples].every((s) => remaining[s]! > 0 || addedBySample.has(old.sampleNames[s]!));
  const { sampleNames, sampleSubject, subjectNames, oldSampleOf, newSampleOfOld } = samplesUnchanged
    ? {
        sampleNames: old.sampleNames,
        sampleSubject: old.sampleSubject,
        subjectNames: old.subjectNames,
        oldSampleOf: identity(oldSampleCount),
        newSampleOfOld: identity(oldSampleCount),
      }
    : mergedSamples(old, remaining, addedBySample, newSamples);
  const sampleCount = sampleNames.length;

  yield;
  // Files: per sample, the old files still there merged with the added ones, by file name.
  const fileCount = oldCount - removedPositions.length + added.length;
  const fileBit = new Uint16Array(fileCount);
  const fileSample = new Int32Array(fileCount);
  const fileDau = new Uint8Array(fileCount);
  const fileBytesLo = new Float64Array(fileCount);
  const fileBytesHi = new Float64Array(fileCount);
  const columns: FileColumns = {
    text,
    textRow: new Int32Array(fileCount),
    fileSizes: new Float64Array(fileCount),
    indexSizes: new Float64Array(fileCount),
    pairedSample: new Int32Array(fileCount),
    pairedSampleNames,
    diagnosis: new Int32Array(fileCount),
    diagnoses: diagnoses.values,
    datasetList: new Int32Array(fileCount),
    datasetLists: datasetLists.values,
    publicationList: new Int32Array(fileCount),
    publicationLists: publicationLists.values,
    embargo: new Int32Array(fileCount),
    embargoDates: embargoDates.values,
  };
  const sampleFileStart = new Int32Array(sampleCount + 1);
  // Where each run of new positions comes from, as pairs: [from, to) of old positions, or [-1 - a, 0] for
  // added file a. Unchanged samples are one run each (and neighbouring runs merge), so the columns below move
  // in a few bulk copies; only changed samples are merged file by file.
  const segments: number[] = [];
  const addedPositions: number[] = [];
  let at = 0;
  const oldRun = (from: number, to: number) => {
    const last = segments.length - 2;
    if (last >= 0 && segments[last]! >= 0 && segments[last + 1] === from) segments[last + 1] = to;
    else segments.push(from, to);
    at += to - from;
  };
  const addedFile = (a: number, sample: number) => {
    segments.push(-1 - a, 0);
    addedPositions.push(at);
    fileSample[at] = sample;
    at += 1;
  };
  const mergeSample = (s: number, fromOld: number, adds: readonly number[]) => {
    let nextAdd = 0;
    if (fromOld >= 0) {
      const start = old.sampleFileStart[fromOld]!;
      const end = old.sampleFileStart[fromOld + 1]!;
      if (adds.length === 0 && remaining[fromOld] === end - start) oldRun(start, end);
      else {
        for (let f = start; f < end; f += 1) {
          if (removed[f] === 1) continue;
          while (
            nextAdd < adds.length &&
            compareText(added[adds[nextAdd]!]!.fileName, text.fileNames[oc.textRow[f]!]!) < 0
          ) {
            addedFile(adds[nextAdd++]!, s);
          }
          oldRun(f, f + 1);
        }
      }
    }
    while (nextAdd < adds.length) addedFile(adds[nextAdd++]!, s);
  };
  if (samplesUnchanged) {
    // Only the changed samples are merged; the files between them move as whole runs.
    let copied = 0;
    for (const s of [...changedSamples].sort((a, b) => a - b)) {
      if (old.sampleFileStart[s]! > copied) oldRun(copied, old.sampleFileStart[s]!);
      mergeSample(s, s, addedBySample.get(old.sampleNames[s]!) ?? NONE_ADDED);
      copied = old.sampleFileStart[s + 1]!;
    }
    if (oldCount > copied) oldRun(copied, oldCount);
    const addedCount = new Int32Array(sampleCount);
    for (const [name, adds] of addedBySample) addedCount[old.sampleByName.get(name)!] = adds.length;
    for (let s = 0; s < sampleCount; s += 1) {
      sampleFileStart[s + 1] = sampleFileStart[s]! + remaining[s]! + addedCount[s]!;
    }
  } else {
    for (let s = 0; s < sampleCount; s += 1) {
      mergeSample(s, oldSampleOf[s]!, addedBySample.get(sampleNames[s]!) ?? NONE_ADDED);
      sampleFileStart[s + 1] = at;
      fileSample.fill(s, sampleFileStart[s]!, at);
    }
  }
  const typedColumns: [Column, Column][] = [
    [fileBit, old.fileBit],
    ...(samplesUnchanged ? [[fileSample, old.fileSample] as [Column, Column]] : []),
    [fileDau, old.fileDau],
    [fileBytesLo, old.fileBytesLo],
    [fileBytesHi, old.fileBytesHi],
    [columns.textRow, oc.textRow],
    [columns.fileSizes, oc.fileSizes],
    [columns.indexSizes, oc.indexSizes],
    [columns.pairedSample, oc.pairedSample],
    [columns.diagnosis, oc.diagnosis],
    [columns.datasetList, oc.datasetList],
    [columns.publicationList, oc.publicationList],
    [columns.embargo, oc.embargo],
  ];
  yield;
  // Column by column, a turn of the event loop after each (each is a few bulk copies of up to 8 MB).
  for (const [target, source] of typedColumns) {
    let to = 0;
    for (let i = 0; i < segments.length; i += 2) {
      const from = segments[i]!;
      const end = from >= 0 ? segments[i + 1]! : from;
      if (from >= 0) target.set(source.subarray(from, end), to);
      to += from >= 0 ? end - from : 1;
    }
    yield;
  }
  let addedAt = 0;
  for (let i = 0; i < segments.length; i += 2) {
    const from = segments[i]!;
    if (from >= 0) continue;
    const to = addedPositions[addedAt++]!;
    const file = added[-1 - from]!;
    const ids = interned[-1 - from]!;
    const bytes = file.fileSizeBytes + (file.indexFile?.fileSizeBytes ?? 0);
    fileBit[to] = combinationBit[combinationOf(file)]!;
    fileDau[to] = DAU_INDEX.get(file.dau)!;
    fileBytesLo[to] = bytes % TWO_32;
    fileBytesHi[to] = Math.floor(bytes / TWO_32);
    // Appending leaves the rows older versions use as they are.
    columns.textRow[to] = text.ids.length;
    text.ids.push(file.id);
    text.fileNames.push(file.fileName);
    text.filePaths.push(file.filePath);
    text.indexFileNames.push(file.indexFile?.fileName ?? null);
    columns.fileSizes[to] = file.fileSizeBytes;
    columns.indexSizes[to] = file.indexFile?.fileSizeBytes ?? -1;
    columns.pairedSample[to] =
      file.pairedSampleName == null ? -1 : pairedSampleNames.push(file.pairedSampleName) - 1;
    columns.diagnosis[to] = ids.diagnosis;
    columns.datasetList[to] = ids.datasetList;
    columns.publicationList[to] = ids.publicationList;
    columns.embargo[to] = ids.embargo;
  }

  // Per-combination aggregates: minus the removed files, plus the added ones.
  const grown = (values: Float64Array) => {
    const copy = new Float64Array(bitCount);
    copy.set(values);
    return copy;
  };
  const bitFiles = grown(old.bitFiles);
  const bitBytesLo = grown(old.bitBytesLo);
  const bitBytesHi = grown(old.bitBytesHi);
  const dauBitFiles = new Float64Array(DAU_IDS.length * bitCount);
  for (let d = 0; d < DAU_IDS.length; d += 1) {
    dauBitFiles.set(old.dauBitFiles.subarray(d * old.bitCount, (d + 1) * old.bitCount), d * bitCount);
  }
  const account = (
    layout: {
      fileBit: Uint16Array;
      fileBytesLo: Float64Array;
      fileBytesHi: Float64Array;
      fileDau: Uint8Array;
    },
    f: number,
    sign: number,
  ) => {
    const bit = layout.fileBit[f]!;
    bitFiles[bit]! += sign;
    bitBytesLo[bit]! += sign * layout.fileBytesLo[f]!;
    bitBytesHi[bit]! += sign * layout.fileBytesHi[f]!;
    dauBitFiles[layout.fileDau[f]! * bitCount + bit]! += sign;
  };
  for (const f of removedPositions) account(old, f, -1);
  const fresh = { fileBit, fileBytesLo, fileBytesHi, fileDau };
  for (const f of addedPositions) account(fresh, f, 1);

  const oldLayout: FileLayout = old;
  const newLayout: FileLayout = {
    fileBit,
    fileBytesLo,
    fileBytesHi,
    columns,
    sampleFileStart,
    sampleSubject,
  };
  const touchedOldSamples = new Set<number>();
  for (const f of removedPositions) touchedOldSamples.add(old.fileSample[f]!);
  const touchedNewSamples = new Set<number>();
  for (const f of addedPositions) touchedNewSamples.add(fileSample[f]!);
  for (const s of touchedOldSamples) if (newSampleOfOld[s]! >= 0) touchedNewSamples.add(newSampleOfOld[s]!);
  for (const s of touchedNewSamples) if (oldSampleOf[s]! >= 0) touchedOldSamples.add(oldSampleOf[s]!);
  // A subject is touched when one of its samples is, even if that sample is gone on the other side.
  const touchedOldSubjects = subjectsOf(touchedOldSamples, old.sampleSubject);
  const touchedNewSubjects = subjectsOf(touchedNewSamples, sampleSubject);
  for (const subject of touchedOldSubjects) {
    const same = sortedPosition(subjectNames, old.subjectNames[subject]!);
    if (same >= 0) touchedNewSubjects.add(same);
  }
  for (const subject of touchedNewSubjects) {
    const same = sortedPosition(old.subjectNames, subjectNames[subject]!);
    if (same >= 0) touchedOldSubjects.add(same);
  }
  const touched = {
    old: { samples: touchedOldSamples, subjects: touchedOldSubjects },
    new: { samples: touchedNewSamples, subjects: touchedNewSubjects },
  };

  const signatures = SignatureInterner.of(
    words,
    widened(old.signatures, old.words, words),
    old.signatureCount,
  );
  const sampleSig = new Int32Array(sampleCount);
  for (let s = 0; s < sampleCount; s += 1)
    if (oldSampleOf[s]! >= 0) sampleSig[s] = old.sampleSig[oldSampleOf[s]!]!;
  const allList = [[0]];
  const tableUpdate = (name: TableName): GroupTable => {
    const table = name === 'all' ? old.all : old.tabs[name];
    const tableLists = name === 'all' ? allList : lists[name]!;
    const fileList = (layout: FileLayout): ArrayLike<number> =>
      name === 'all'
        ? new Int32Array(layout.fileBit.length)
        : name === 'diagnosis'
          ? layout.columns.diagnosis
          : name === 'study'
            ? layout.columns.datasetList
            : layout.columns.publicationList;
    const oldFileList = fileList(oldLayout);
    const newFileList = fileList(newLayout);
    return updateGroupTable(table, {
      bitCount,
      words,
      lists: tableLists,
      signatures,
      old: { layout: oldLayout, fileList: oldFileList, positions: removedPositions, ...touched.old },
      new: { layout: newLayout, fileList: newFileList, positions: addedPositions, ...touched.new },
      onSampleSignature: name === 'all' ? (sample, signature) => (sampleSig[sample] = signature) : undefined,
    });
  };
  const all = tableUpdate('all');
  yield;
  const diagnosis = tableUpdate('diagnosis');
  yield;
  const study = tableUpdate('study');
  yield;
  const tabs = { diagnosis, study, publication: tableUpdate('publication') };

  const version = ContentVersion.parse(old.version);
  for (const f of removedPositions) version.add(fileAt(old, f), -1);
  for (const file of added) version.add(file);

  return {
    version: version.toString(fileCount),
    fileCount,
    bitCount,
    words,
    bitSeq: Uint8Array.from(bitValues.seq),
    bitSampleType: Uint8Array.from(bitValues.sampleType),
    bitFileType: Uint8Array.from(bitValues.fileType),
    bitTissue: Uint8Array.from(bitValues.tissue),
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
    sampleNames: samplesUnchanged ? old.sampleNames : sampleNames,
    sampleSubject,
    sampleFileStart,
    sampleSig,
    sampleByName: samplesUnchanged
      ? old.sampleByName
      : new Map(sampleNames.map((name, index) => [name, index])),
    subjectNames,
    tabs,
    all,
    columns,
  };
}

/** The sample table after samples were added or emptied: kept and new samples in (subject, sample) order. */
function mergedSamples(
  old: CatalogIndexData,
  remaining: Int32Array,
  addedBySample: ReadonlyMap<string, number[]>,
  newSamples: readonly [string, string][],
) {
  const oldSampleCount = old.sampleNames.length;
  const sampleNames: string[] = [];
  const sampleSubjectName: string[] = [];
  const oldSampleOf: number[] = [];
  const newSampleOfOld = new Int32Array(oldSampleCount).fill(-1);
  const keep = (s: number) => {
    newSampleOfOld[s] = sampleNames.length;
    sampleNames.push(old.sampleNames[s]!);
    sampleSubjectName.push(old.subjectNames[old.sampleSubject[s]!]!);
    oldSampleOf.push(s);
  };
  let next = 0;
  for (let s = 0; s < oldSampleCount; s += 1) {
    if (remaining[s] === 0 && !addedBySample.has(old.sampleNames[s]!)) continue;
    const subject = old.subjectNames[old.sampleSubject[s]!]!;
    for (; next < newSamples.length; next += 1) {
      const [name, newSubject] = newSamples[next]!;
      if ((compareText(newSubject, subject) || compareText(name, old.sampleNames[s]!)) > 0) break;
      sampleNames.push(name);
      sampleSubjectName.push(newSubject);
      oldSampleOf.push(-1);
    }
    keep(s);
  }
  for (const [name, subject] of newSamples.slice(next)) {
    sampleNames.push(name);
    sampleSubjectName.push(subject);
    oldSampleOf.push(-1);
  }
  const sampleCount = sampleNames.length;
  const subjectNames: string[] = [];
  const sampleSubject = new Int32Array(sampleCount);
  for (let s = 0; s < sampleCount; s += 1) {
    if (subjectNames.at(-1) !== sampleSubjectName[s]) subjectNames.push(sampleSubjectName[s]!);
    sampleSubject[s] = subjectNames.length - 1;
  }

  return {
    sampleNames,
    sampleSubject,
    subjectNames,
    oldSampleOf: Int32Array.from(oldSampleOf),
    newSampleOfOld,
  };
}

function identity(count: number): Int32Array {
  const values = new Int32Array(count);
  for (let i = 0; i < count; i += 1) values[i] = i;
  return values;
}

/** Signatures of `from` words each, zero-extended to `to` words (more combinations occur). */
function widened(signatures: Uint32Array, from: number, to: number): Uint32Array {
  if (from === to) return signatures;
  const count = signatures.length / from;
  const wide = new Uint32Array(count * to);
  for (let s = 0; s < count; s += 1) wide.set(signatures.subarray(s * from, (s + 1) * from), s * to);
  return wide;
}

type Column = Uint8Array | Uint16Array | Int32Array | Float64Array;

/** The rows (display positions) of each list id of a tab; undefined when a list names a row the tab lacks. */
function tabLists(
  table: GroupTable,
  tab: Exclude<CatalogTab, 'sample'>,
  dictionaries: Pick<FileColumns, 'diagnoses' | 'datasetLists' | 'publicationLists'>,
  previous: FileColumns,
): number[][] | undefined {
  // Entries the index was built with map as the build mapped them; new ones must name a row with its label.
  const row = (id: string, label: string, isNew: boolean) => {
    const group = table.byId.get(id);
    return group === undefined || (isNew && table.labels[group] !== label) ? undefined : group;
  };
  const entries: (number | undefined)[][] =
    tab === 'diagnosis'
      ? dictionaries.diagnoses.map((diagnosis, id) => [
          row(diagnosis.code, diagnosis.name, id >= previous.diagnoses.length),
        ])
      : tab === 'study'
        ? dictionaries.datasetLists.map((codes, id) =>
            codes.map((code) => row(code, DATASET_NAMES[code] ?? code, id >= previous.datasetLists.length)),
          )
        : dictionaries.publicationLists.map((publications, id) =>
            publications.map((publication) =>
              row(
                publication.accession,
                publication.title ?? publication.accession,
                id >= previous.publicationLists.length,
              ),
            ),
          );
  return entries.every((groups) => groups.every((group) => group !== undefined))
    ? (entries as number[][])
    : undefined;
}

/** Where `name` is in `names` (ascending, as subjects are ordered), or -1. */
function sortedPosition(names: readonly string[], name: string): number {
  let low = 0;
  let high = names.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareText(names[middle]!, name) < 0) low = middle + 1;
    else high = middle;
  }
  return names[low] === name ? low : -1;
}

function subjectsOf(samples: ReadonlySet<number>, sampleSubject: Int32Array): Set<number> {
  return new Set([...samples].map((sample) => sampleSubject[sample]!));
}

interface Side {
  layout: FileLayout;
  fileList: ArrayLike<number>;
  /** Removed files (old side) or added files (new side). */
  positions: readonly number[];
  /** Samples and subjects whose signatures to take out (old side) or put in (new side). */
  samples: ReadonlySet<number>;
  subjects: ReadonlySet<number>;
}

interface TableUpdate {
  bitCount: number;
  words: number;
  lists: readonly (readonly number[])[];
  signatures: SignatureInterner;
  old: Side;
  new: Side;
  onSampleSignature: ((sample: number, signature: number) => void) | undefined;
}

function updateGroupTable(table: GroupTable, update: TableUpdate): GroupTable {
  const { bitCount, lists } = update;
  const groupCount = table.ids.length;

  const dense = new Float64Array(groupCount * bitCount * 3);
  for (let g = 0; g < groupCount; g += 1) {
    for (let at = table.comboOffsets[g]!; at < table.comboOffsets[g + 1]!; at += 1) {
      const to = (g * bitCount + table.comboBits[at]!) * 3;
      dense[to] = table.comboFiles[at]!;
      dense[to + 1] = table.comboBytesLo[at]!;
      dense[to + 2] = table.comboBytesHi[at]!;
    }
  }
  for (const [side, sign] of [
    [update.old, -1],
    [update.new, 1],
  ] as const) {
    const { fileBit, fileBytesLo, fileBytesHi } = side.layout;
    for (const f of side.positions) {
      for (const group of lists[side.fileList[f]!]!) {
        const to = (group * bitCount + fileBit[f]!) * 3;
        dense[to]! += sign;
        dense[to + 1]! += sign * fileBytesLo[f]!;
        dense[to + 2]! += sign * fileBytesHi[f]!;
      }
    }
  }

  // Files of each row: positions moved, so this list is laid out again (a linear pass over typed arrays).
  const fileList = update.new.fileList;
  const fileCount = update.new.layout.fileBit.length;
  const fileOffsets = new Int32Array(groupCount + 1);
  for (let f = 0; f < fileCount; f += 1)
    for (const group of lists[fileList[f]!]!) fileOffsets[group + 1]! += 1;
  for (let g = 0; g < groupCount; g += 1) fileOffsets[g + 1]! += fileOffsets[g]!;
  const files = new Int32Array(fileOffsets[groupCount]!);
  const fill = fileOffsets.slice(0, groupCount);
  for (let f = 0; f < fileCount; f += 1) for (const group of lists[fileList[f]!]!) files[fill[group]!++] = f;

  const sampleHistogram = histogramUpdate(table.sampleOffsets, table.sampleSigs, table.sampleCounts);
  const subjectHistogram = histogramUpdate(table.subjectOffsets, table.subjectSigs, table.subjectCounts);
  for (const [side, sign] of [
    [update.old, -1],
    [update.new, 1],
  ] as const) {
    const { sampleFileStart } = side.layout;
    const subjectRange = subjectRanges(side.layout);
    for (const sample of side.samples) {
      const signatures = entitySignatures(
        update,
        side,
        sampleFileStart[sample]!,
        sampleFileStart[sample + 1]!,
      );
      for (const [group, signature] of signatures) {
        sampleHistogram.add(group, signature, sign);
        if (sign === 1) update.onSampleSignature?.(sample, signature);
      }
    }
    for (const subject of side.subjects) {
      const [start, end] = subjectRange(subject);
      for (const [group, signature] of entitySignatures(update, side, start, end)) {
        subjectHistogram.add(group, signature, sign);
      }
    }
  }
  const { ids, labels, sortKeys, byId } = table;
  return groupTable(
    { ids, labels, sortKeys, byId },
    {
      dense,
      groupCount,
      bitCount,
      samples: sampleHistogram,
      subjects: subjectHistogram,
      fileOffsets,
      files,
    },
  );
}

/** The file range of a subject: its samples are contiguous, so it spans from its first to its last sample. */
function subjectRanges(layout: FileLayout): (subject: number) => [number, number] {
  const { sampleSubject, sampleFileStart } = layout;
  const subjectCount = sampleSubject.length === 0 ? 0 : sampleSubject[sampleSubject.length - 1]! + 1;
  const firstSample = new Int32Array(subjectCount + 1);
  firstSample[subjectCount] = sampleSubject.length;
  for (let s = sampleSubject.length - 1; s >= 0; s -= 1) firstSample[sampleSubject[s]!] = s;
  return (subject) => [sampleFileStart[firstSample[subject]!]!, sampleFileStart[firstSample[subject + 1]!]!];
}

/** The signature an entity (sample or subject) with files [start, end) has in each row it falls in. */
function entitySignatures(update: TableUpdate, side: Side, start: number, end: number): Map<number, number> {
  const masks = new Map<number, Uint32Array>();
  const { fileBit } = side.layout;
  for (let f = start; f < end; f += 1) {
    const bit = fileBit[f]!;
    for (const group of update.lists[side.fileList[f]!]!) {
      let mask = masks.get(group);
      if (mask === undefined) {
        mask = new Uint32Array(update.words);
        masks.set(group, mask);
      }
      mask[bit >>> 5]! |= 1 << (bit & 31);
    }
  }
  return new Map([...masks].map(([group, mask]) => [group, update.signatures.intern(mask, 0)]));
}

/** A per-row histogram of signatures (CSR) opened for counting up and down, then closed again. */
function histogramUpdate(offsets: Int32Array, sigs: Int32Array, counts: Float64Array) {
  const groups = Array.from({ length: offsets.length - 1 }, (_, group) => {
    const histogram = new Map<number, number>();
    for (let at = offsets[group]!; at < offsets[group + 1]!; at += 1) histogram.set(sigs[at]!, counts[at]!);
    return histogram;
  });
  return {
    add(group: number, signature: number, count: number): void {
      const histogram = groups[group]!;
      histogram.set(signature, (histogram.get(signature) ?? 0) + count);
    },
    toCsr() {
      const kept = groups.map((histogram) => [...histogram].filter(([, count]) => count > 0));
      const nextOffsets = new Int32Array(kept.length + 1);
      kept.forEach((entries, group) => (nextOffsets[group + 1] = nextOffsets[group]! + entries.length));
      const nextSigs = new Int32Array(nextOffsets[kept.length]!);
      const nextCounts = new Float64Array(nextSigs.length);
      kept.flat().forEach(([signature, count], at) => {
        nextSigs[at] = signature;
        nextCounts[at] = count;
      });
      return { offsets: nextOffsets, sigs: nextSigs, counts: nextCounts };
    },
  };
}
