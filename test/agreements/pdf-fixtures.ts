/**
 * PDFs built byte by byte for the upload tests (cross-reference offsets computed), plus the polyglots and
 * disguises an upload check must refuse.
 */
import { deflateSync } from 'node:zlib';

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

export interface PdfOptions {
  /** Bytes before the header (a polyglot's other format). */
  readonly prefix?: Buffer;
  /** Bytes after `%%EOF`. */
  readonly suffix?: Buffer;
  /** Extra entries of the trailer dictionary. */
  readonly trailer?: string;
}

/**
 * A PDF with a classic cross-reference table; `objects[i]` becomes object i + 1. Object 1 should be the
 * catalog. Objects may be Buffers (stream data with binary bytes).
 */
export function buildPdf(objects: readonly (string | Buffer)[], options: PdfOptions = {}): Buffer {
  const parts: Buffer[] = [latin1('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(length);
    const part = Buffer.concat([
      latin1(`${index + 1} 0 obj\n`),
      typeof object === 'string' ? latin1(object) : object,
      latin1('\nendobj\n'),
    ]);
    parts.push(part);
    length += part.length;
  });
  const xref =
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` +
    offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${options.trailer ?? ''}>>\nstartxref\n${length}\n%%EOF\n`;
  return Buffer.concat([
    options.prefix ?? Buffer.alloc(0),
    ...parts,
    latin1(xref),
    options.suffix ?? Buffer.alloc(0),
  ]);
}

/** A stream object's text: dictionary entries, then the data. */
export function stream(dictionary: string, data: Buffer): Buffer {
  return Buffer.concat([
    latin1(`<< ${dictionary} /Length ${data.length} >>\nstream\n`),
    data,
    latin1('\nendstream'),
  ]);
}

const page = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>';
const content = stream('', latin1('BT /F1 12 Tf 72 720 Td (Signed agreement) Tj ET'));

/** Catalog, pages, page, content: a plain one-page document with `catalogExtra` in its catalog. */
export function plainPdf(
  catalogExtra = '',
  extraObjects: readonly (string | Buffer)[] = [],
  options: PdfOptions = {},
): Buffer {
  return buildPdf(
    [
      `<< /Type /Catalog /Pages 2 0 R ${catalogExtra}>>`,
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      page,
      content,
      ...extraObjects,
    ],
    options,
  );
}

/**
 * A PDF 1.5 file whose dictionaries sit in an object stream (encoded with `filter`) and whose
 * cross-reference is a stream, as Acrobat and most scanners write them. `hidden` goes into the object stream.
 */
export function objectStreamPdf(hidden: string, filter: 'FlateDecode' | 'ASCIIHexDecode' | 'none'): Buffer {
  // Objects 4 (the hidden one) and 5 (a font) live in object stream 3.
  const members = [hidden, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'];
  let header = '';
  let body = '';
  members.forEach((member, index) => {
    header += `${4 + index} ${body.length} `;
    body += `${member}\n`;
  });
  const raw = latin1(header + body);
  const data =
    filter === 'FlateDecode'
      ? deflateSync(raw)
      : filter === 'ASCIIHexDecode'
        ? latin1(`${raw.toString('hex')}>`)
        : raw;
  const filterEntry = filter === 'none' ? '' : `/Filter /${filter} `;
  const objects: Buffer[] = [
    latin1('<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>'),
    latin1('<< /Type /Pages /Kids [] /Count 0 >>'),
    stream(`/Type /ObjStm /N ${members.length} /First ${header.length} ${filterEntry}`, data),
  ];
  const parts: Buffer[] = [latin1('%PDF-1.5\n')];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(length);
    const part = Buffer.concat([latin1(`${index + 1} 0 obj\n`), object, latin1('\nendobj\n')]);
    parts.push(part);
    length += part.length;
  });
  // Cross-reference stream (object 6): /W [1 4 2], entries for 0..6.
  const entry = (type: number, field2: number, field3: number): Buffer => {
    const bytes = Buffer.alloc(7);
    bytes.writeUInt8(type, 0);
    bytes.writeUInt32BE(field2, 1);
    bytes.writeUInt16BE(field3, 5);
    return bytes;
  };
  const xrefOffset = length;
  const entries = Buffer.concat([
    entry(0, 0, 65535),
    ...offsets.map((offset) => entry(1, offset, 0)),
    entry(2, 3, 0),
    entry(2, 3, 1),
    entry(1, xrefOffset, 0),
  ]);
  const xref = Buffer.concat([
    latin1('6 0 obj\n'),
    stream('/Type /XRef /Size 7 /Root 1 0 R /W [1 4 2] /Filter /FlateDecode', deflateSync(entries)),
    latin1(`\nendobj\nstartxref\n${xrefOffset}\n%%EOF\n`),
  ]);
  return Buffer.concat([...parts, xref]);
}

/** A tiny but real ZIP archive (one stored file), as `zip` writes it. */
export function zipArchive(
  name = 'payload.html',
  content = '<html><script>alert(1)</script></html>',
): Buffer {
  const data = latin1(content);
  const fileName = latin1(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const localPart = Buffer.concat([local, fileName, data]);
  const centralPart = Buffer.concat([central, fileName]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralPart.length, 12);
  end.writeUInt32LE(localPart.length, 16);
  return Buffer.concat([localPart, centralPart, end]);
}
