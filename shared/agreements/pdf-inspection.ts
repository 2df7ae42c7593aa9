/**
 * Decides whether uploaded bytes are a signed agreement we accept: a real, plain PDF judged by its content,
 * never by its name or declared type. The checks, in order (the first failure is the answer):
 *
 * 1. size: not empty, not over the cap;
 * 2. header: `%PDF-1.0`…`%PDF-2.0` at byte 0 (readers accept a header anywhere in the first KiB, which is what
 *    polyglots use to put a ZIP, HTML or script first);
 * 3. end: the last `%%EOF` is followed by nothing but whitespace (no appended ZIP or HTML);
 * 4. structure: `startxref` names an offset holding either a cross-reference table whose in-use entries each
 *    point at the `N G obj` they name, followed by a trailer with `/Root`, or a cross-reference stream
 *    (`/Type /XRef` with `/Root`); the `/Root` object exists;
 * 5. nothing active or hidden: no `/JavaScript`, `/JS`, `/Launch`, `/EmbeddedFile`, `/RichMedia`, `/XFA` names
 *    (also when spelt with `#xx` escapes) outside streams, in unfiltered streams and in Flate-compressed
 *    ones such as object streams (an object stream in any other encoding is refused; image data, which is
 *    never parsed as objects, is not inflated), no `/Encrypt` (an encrypted file cannot be checked), outside
 *    streams no HTML (`<html`, `<script`, …) and no ZIP record signatures, and no ZIP end-of-directory record
 *    in the last 64 KiB (where ZIP readers look for one, inside a stream or not).
 */
import { inflateSync } from 'node:zlib';

export type PdfVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const forbiddenNames = new Set([
  'JavaScript',
  'JS',
  'Launch',
  'EmbeddedFile',
  'EmbeddedFiles',
  'RichMedia',
  // XML forms carry their own scripts.
  'XFA',
]);
const markupMarkers = /<(?:html|script|body|iframe|svg|!doctype)\b|javascript:/i;
// ZIP local-file, central-directory and end-of-directory records (control bytes, hence the eslint pragma).
// eslint-disable-next-line no-control-regex
const zipSignatures = /PK\x03\x04|PK\x01\x02|PK\x05\x06/;
// End of central directory (and its ZIP64 form), which ZIP readers search for from the end of the file.
// eslint-disable-next-line no-control-regex
const zipEndSignatures = /PK\x05\x06|PK\x06\x06/;
const zipEndSearchBytes = 65_535 + 22;
/** Inflated stream bytes we are willing to scan in total (a zip bomb stops here and is refused). */
const maxInflatedBytes = 64 * 1024 * 1024;

export function inspectPdf(bytes: Uint8Array, maxBytes: number): PdfVerdict {
  if (bytes.byteLength === 0) return refuse('the file is empty');
  if (bytes.byteLength > maxBytes) return refuse(`the file is larger than ${maxBytes} bytes`);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (!/^%PDF-(?:1\.[0-7]|2\.0)[\r\n]/.test(text)) return refuse('it does not start with a PDF header');

  const eof = text.lastIndexOf('%%EOF');
  if (eof < 0) return refuse('it has no %%EOF end marker');
  if (!/^[\s\0]*$/.test(text.slice(eof + 5))) return refuse('it has data after its %%EOF end marker');

  const structure = checkStructure(text, eof);
  if (!structure.ok) return structure;

  return checkContent(text);
}

function refuse(reason: string): PdfVerdict {
  return { ok: false, reason };
}

const ok: PdfVerdict = { ok: true };

function checkStructure(text: string, eof: number): PdfVerdict {
  const startxref = /startxref\s+(\d+)\s*$/.exec(text.slice(Math.max(0, eof - 64), eof));
  if (startxref === null) return refuse('it has no startxref pointer before %%EOF');
  const offset = Number(startxref[1]);
  if (offset >= eof) return refuse('its startxref pointer lies outside the file');
  const at = text.slice(offset, offset + 64);
  if (at.startsWith('xref')) return checkXrefTable(text, offset, eof);
  const header = /^(\d+)\s+(\d+)\s+obj\b/.exec(at);
  if (header === null) return refuse('its startxref pointer does not point at a cross-reference section');
  const dictionary = text.slice(offset, text.indexOf('stream', offset));
  if (!/\/Type\s*\/XRef\b/.test(dictionary))
    return refuse('its startxref pointer does not point at a cross-reference stream');
  return rootExists(text, dictionary);
}

/** A classic table: subsections of `first count` then 20-byte entries; each in-use entry must hit its object. */
function checkXrefTable(text: string, offset: number, eof: number): PdfVerdict {
  const trailerAt = text.indexOf('trailer', offset);
  if (trailerAt < 0 || trailerAt > eof) return refuse('its cross-reference table has no trailer');
  const lines = text
    .slice(offset + 4, trailerAt)
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  let objectNumber = -1;
  let remaining = 0;
  let entries = 0;
  for (const line of lines) {
    if (remaining === 0) {
      const subsection = /^(\d+) (\d+)$/.exec(line);
      if (subsection === null) return refuse('its cross-reference table is malformed');
      objectNumber = Number(subsection[1]);
      remaining = Number(subsection[2]);
      continue;
    }
    const entry = /^(\d{10}) (\d{5}) ([nf])$/.exec(line);
    if (entry === null) return refuse('its cross-reference table is malformed');
    if (entry[3] === 'n') {
      const target = Number(entry[1]);
      const expected = new RegExp(`^${objectNumber}\\s+${Number(entry[2])}\\s+obj\\b`);
      if (target >= eof || !expected.test(text.slice(target, target + 32))) {
        return refuse(`its cross-reference entry for object ${objectNumber} points at no such object`);
      }
      entries++;
    }
    objectNumber++;
    remaining--;
  }
  if (remaining !== 0 || entries === 0) return refuse('its cross-reference table is incomplete');
  return rootExists(text, text.slice(trailerAt, eof));
}

function rootExists(text: string, dictionary: string): PdfVerdict {
  const root = /\/Root\s+(\d+)\s+(\d+)\s+R\b/.exec(dictionary);
  if (root === null) return refuse('its trailer names no document catalog (/Root)');
  if (!new RegExp(`(?:^|[\\s>\\]])${root[1]}\\s+${root[2]}\\s+obj\\b`).test(text)) {
    return refuse('its document catalog (/Root) is missing');
  }
  return ok;
}

interface Segments {
  /** Everything outside stream data (dictionaries, objects, comments, the xref and trailer). */
  readonly outside: string;
  /** The raw data of each stream with its dictionary. */
  readonly streams: readonly { readonly dictionary: string; readonly data: string }[];
}

function checkContent(text: string): PdfVerdict {
  const { outside, streams } = splitStreams(text);
  if (markupMarkers.test(outside)) return refuse('it contains HTML or script markup');
  if (zipSignatures.test(outside)) return refuse('it contains an embedded ZIP archive');
  // A ZIP reader looks for the end-of-central-directory record in the last 64 KiB, inside a stream or not.
  if (zipEndSignatures.test(text.slice(-zipEndSearchBytes))) return refuse('it ends like a ZIP archive');
  let inflated = 0;
  const scanned = [outside];
  for (const stream of streams) {
    const dictionary = decodeName(stream.dictionary);
    const objectStream =
      /\/Type\s*\/ObjStm\b/.test(dictionary) || (/\/N\b/.test(dictionary) && /\/First\b/.test(dictionary));
    const filters = filtersOf(dictionary);
    // Actions live in dictionaries: outside streams, or inside object streams. Image data is never parsed as
    // objects, so it is not inflated (a scanned agreement's images may expand to hundreds of MiB).
    if (!objectStream && /\/Subtype\s*\/Image\b/.test(dictionary)) continue;
    if (filters.length === 0) {
      scanned.push(stream.data);
      continue;
    }
    if (filters.length !== 1 || filters[0] !== 'FlateDecode') {
      if (objectStream) return refuse('its object streams use an encoding that cannot be checked');
      continue;
    }
    try {
      const data = inflateSync(Buffer.from(stream.data, 'latin1'), {
        maxOutputLength: maxInflatedBytes - inflated,
      });
      inflated += data.byteLength;
      scanned.push(data.toString('latin1'));
    } catch (error) {
      if (error instanceof RangeError) return refuse('its compressed streams expand beyond the limit');
      return refuse('it has a corrupt compressed stream');
    }
  }
  for (const part of scanned) {
    if (/\/Encrypt\b/.test(part)) return refuse('it is encrypted, so its content cannot be checked');
    for (const match of part.matchAll(/\/([^\s/<>[\]()%{}]+)/g)) {
      const name = decodeName(match[1]!);
      if (forbiddenNames.has(name)) return refuse(`it contains active content (/${name})`);
    }
  }
  return ok;
}

/** The stream's `/Filter`: one name or an array of names. */
function filtersOf(dictionary: string): string[] {
  const match = /\/Filter\s*(?:\/([A-Za-z0-9]+)|\[([^\]]*)\])/.exec(dictionary);
  if (match === null) return [];
  if (match[1] !== undefined) return [match[1]];
  return [...(match[2] ?? '').matchAll(/\/([A-Za-z0-9]+)/g)].map((name) => name[1]!);
}

/** Cuts stream data out at `stream` … `endstream` (the keyword after a dictionary, then one EOL). */
function splitStreams(text: string): Segments {
  const streams: { dictionary: string; data: string }[] = [];
  let outside = '';
  let position = 0;
  const start = />>\s*stream(?:\r\n|\n|\r)/g;
  for (let match = start.exec(text); match !== null; match = start.exec(text)) {
    const dataStart = match.index + match[0].length;
    const end = text.indexOf('endstream', dataStart);
    if (end < 0) break;
    const dictionaryStart = text.lastIndexOf('obj', match.index);
    outside += text.slice(position, dataStart);
    streams.push({
      dictionary: text.slice(Math.max(dictionaryStart, position), match.index + 2),
      data: text.slice(dataStart, end).replace(/(?:\r\n|\n|\r)$/, ''),
    });
    position = end;
    start.lastIndex = end;
  }
  return { outside: outside + text.slice(position), streams };
}

/** `/J#61vaScript` is `/JavaScript`: names may escape any byte as `#xx`. */
function decodeName(raw: string): string {
  return raw.replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
