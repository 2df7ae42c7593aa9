/**
 * Local seed data for the documents container: the Data Access Agreement template that
 * `GET /api/agreements/template` serves. Idempotent: an existing template (for example one you replaced
 * with the real agreement) is left as it is.
 */
import { BlobServiceClient, RestError, StorageSharedKeyCredential } from '@azure/storage-blob';
import { agreementTemplateBlobName, documentsContainer } from '../../../shared/platform/documents';

export type SeedOutcome = 'created' | 'present';

/** Creates the private documents container and uploads the template PDF if absent. */
export async function seedAgreementTemplate(client: BlobServiceClient): Promise<SeedOutcome> {
  const container = documentsContainer(client);
  await container.createIfNotExists(); // no public access: the container is private
  const pdf = agreementTemplatePdf();
  try {
    await container.getBlockBlobClient(agreementTemplateBlobName).uploadData(pdf, {
      blobHTTPHeaders: { blobContentType: 'application/pdf' },
      conditions: { ifNoneMatch: '*' }, // never overwrite
    });
    return 'created';
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 409) return 'present';
    throw error;
  }
}

/** `npm start` wiring: seeds the documents container of the storage account the settings point at. */
export async function seedDocuments(
  env: Readonly<Record<string, string>>,
  log: (line: string) => void = () => undefined,
): Promise<SeedOutcome> {
  const {
    DataStorage__blobServiceUri: uri,
    DataStorage__accountName: name,
    DataStorage__accountKey: key,
  } = env;
  if (uri === undefined || name === undefined || key === undefined) {
    throw new Error(
      'seedDocuments needs DataStorage__blobServiceUri, DataStorage__accountName and DataStorage__accountKey',
    );
  }
  const outcome = await seedAgreementTemplate(
    new BlobServiceClient(uri, new StorageSharedKeyCredential(name, key)),
  );
  log(`Documents: ${agreementTemplateBlobName} ${outcome === 'created' ? 'uploaded' : 'already present'}`);
  return outcome;
}

const templateText = [
  'Data Access Agreement (template)',
  '',
  'This agreement is between the requesting institution and the data provider. It covers the',
  'controlled-access data of the Data Access Units (DAUs) named in the request.',
  '',
  '1. The data is used only for the research purpose described in the request.',
  '2. The data is not shared beyond the applicants named in this agreement.',
  '3. Access lasts one year from approval and may be extended by addendum.',
  '4. Downloaded copies are destroyed when access ends.',
  '5. The institutional authority and, for downloads, the information security officer sign too.',
  '',
  'Principal investigator: ____________________   Date: __________',
  'Institutional authority: ____________________   Date: __________',
  'Information security officer: _______________   Date: __________',
];

/** A one-page PDF 1.4 with the template text in Helvetica, built byte by byte (cross-reference offsets included). */
export function agreementTemplatePdf(lines: readonly string[] = templateText): Buffer {
  const escape = (text: string): string => text.replace(/[\\()]/g, (c) => `\\${c}`);
  const [title = '', ...body] = lines;
  const content = [
    'BT',
    '/F1 18 Tf 72 720 Td',
    `(${escape(title)}) Tj`,
    '/F1 11 Tf 0 -30 Td 14 TL',
    ...body.map((line) => `(${escape(line)}) '`),
    'ET',
  ].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xrefOffset = Buffer.byteLength(pdf, 'latin1');
  // Each cross-reference entry is exactly 20 bytes: 10-digit offset, generation, type, two-byte line end.
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
