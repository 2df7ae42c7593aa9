/**
 * Hand-signed agreement uploads: the content check (a real, plain PDF, whatever the file claims to be) and
 * the store in Blob Storage (Azurite, in memory): every version kept under a server-chosen name with its
 * SHA-256, readable again, never overwritten.
 */
import { createHash } from 'node:crypto';
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageEmulatorAccount } from '../../infra/local/standins/azurite';
import { freeStandInPorts, startStandIns, type StandIns } from '../../infra/local/standins';
import { agreementTemplatePdf } from '../../infra/local/standins/seed-documents';
import { BlobAgreementStore } from '../../shared/agreements/adapters/blob-agreement-store';
import { maxAgreementUploadBytes } from '../../shared/agreements/model';
import { inspectPdf } from '../../shared/agreements/pdf-inspection';
import { acceptAgreementUpload } from '../../shared/agreements/use-cases/upload-agreement';
import { isAppError } from '../../shared/http/errors';
import { buildPdf, objectStreamPdf, plainPdf, stream, zipArchive } from './pdf-fixtures';

const cap = maxAgreementUploadBytes;
const reasonOf = (bytes: Buffer, max = cap) => {
  const verdict = inspectPdf(bytes, max);
  return verdict.ok ? 'ok' : verdict.reason;
};

describe('inspectPdf', () => {
  it('accepts real PDFs: the template, a plain file, object and cross-reference streams, Flate images', () => {
    expect(reasonOf(agreementTemplatePdf())).toBe('ok');
    expect(reasonOf(plainPdf())).toBe('ok');
    expect(
      reasonOf(objectStreamPdf('<< /Type /Action /S /URI /URI (https://example.org) >>', 'FlateDecode')),
    ).toBe('ok');
    // Image data is not inflated (it is never parsed as objects): not even a corrupt one is looked at.
    const image = stream(
      '/Type /XObject /Subtype /Image /Width 1 /Height 1 /Filter /FlateDecode',
      Buffer.from([1, 2, 3, 4]),
    );
    expect(reasonOf(plainPdf('', [image]))).toBe('ok');
    expect(reasonOf(Buffer.concat([plainPdf(), Buffer.from('\r\n\0\0 ')]))).toBe('ok');
  });

  it('refuses empty and oversized files', () => {
    expect(reasonOf(Buffer.alloc(0))).toBe('the file is empty');
    expect(reasonOf(plainPdf(), 100)).toBe('the file is larger than 100 bytes');
  });

  it('refuses what is not a PDF, whatever its name says', () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    expect(reasonOf(png)).toBe('it does not start with a PDF header');
    expect(reasonOf(Buffer.from('Please find my signed agreement attached.'))).toBe(
      'it does not start with a PDF header',
    );
    expect(reasonOf(zipArchive())).toBe('it does not start with a PDF header');
    expect(reasonOf(Buffer.from('%PDF-1.4\n'))).toBe('it has no %%EOF end marker');
    expect(reasonOf(Buffer.from('%PDF-1.4\n%%EOF\n'))).toBe('it has no startxref pointer before %%EOF');
    expect(reasonOf(Buffer.from('%PDF-9.9\n%%EOF'))).toBe('it does not start with a PDF header');
  });

  it('refuses polyglots: a PDF header after junk (ZIP, HTML first) or another format after %%EOF', () => {
    expect(reasonOf(plainPdf('', [], { prefix: zipArchive() }))).toBe('it does not start with a PDF header');
    expect(reasonOf(plainPdf('', [], { prefix: Buffer.from('<html><body>\n') }))).toBe(
      'it does not start with a PDF header',
    );
    expect(reasonOf(plainPdf('', [], { prefix: Buffer.from(' ') }))).toBe(
      'it does not start with a PDF header',
    );
    expect(reasonOf(plainPdf('', [], { suffix: zipArchive() }))).toBe(
      'it has data after its %%EOF end marker',
    );
    expect(reasonOf(plainPdf('', [], { suffix: Buffer.from('<script>alert(1)</script>') }))).toBe(
      'it has data after its %%EOF end marker',
    );
  });

  it('refuses a file that is a PDF and a ZIP at once (the archive inside, its directory near the end)', () => {
    const hidden = stream('', zipArchive());
    expect(reasonOf(plainPdf('', [hidden]))).toBe('it ends like a ZIP archive');
    expect(
      reasonOf(
        plainPdf('', [
          `<< /Note (${zipArchive('a.txt', 'hello')
            .toString('latin1')
            .replace(/[()\\]/g, '')}) >>`,
        ]),
      ),
    ).toMatch(/ZIP/);
  });

  it('refuses HTML and script markup outside streams', () => {
    expect(reasonOf(plainPdf('', ['<< /Title (<html><script>alert(1)</script>) >>']))).toBe(
      'it contains HTML or script markup',
    );
    expect(reasonOf(buildPdf(['<< /Type /Catalog >> % <!DOCTYPE html>']))).toBe(
      'it contains HTML or script markup',
    );
  });

  it('refuses active content, also escaped, compressed or unfiltered in object streams', () => {
    const js = '<< /S /JavaScript /JS (app.alert(1)) >>';
    expect(reasonOf(plainPdf('/OpenAction 5 0 R', [js]))).toBe('it contains active content (/JavaScript)');
    expect(reasonOf(plainPdf('/OpenAction 5 0 R', ['<< /S /J#61vaScript /J#53 (x) >>']))).toBe(
      'it contains active content (/JavaScript)',
    );
    expect(reasonOf(plainPdf('/OpenAction 5 0 R', ['<< /S /Launch /F (cmd.exe) >>']))).toBe(
      'it contains active content (/Launch)',
    );
    expect(reasonOf(plainPdf('/Names << /EmbeddedFiles 5 0 R >>', ['<< /Names [] >>']))).toBe(
      'it contains active content (/EmbeddedFiles)',
    );
    expect(reasonOf(plainPdf('/AcroForm << /XFA 5 0 R >>', ['<< >>']))).toBe(
      'it contains active content (/XFA)',
    );
    expect(reasonOf(objectStreamPdf(js, 'FlateDecode'))).toBe('it contains active content (/JavaScript)');
    expect(reasonOf(objectStreamPdf(js, 'none'))).toBe('it contains active content (/JavaScript)');
    expect(reasonOf(objectStreamPdf(js, 'ASCIIHexDecode'))).toBe(
      'its object streams use an encoding that cannot be checked',
    );
  });

  it('refuses encrypted files, broken structure and corrupt compressed streams', () => {
    expect(reasonOf(plainPdf('', [], { trailer: '/Encrypt 9 0 R' }))).toBe(
      'it is encrypted, so its content cannot be checked',
    );
    const good = plainPdf().toString('latin1');
    const shifted = Buffer.from(
      good.replace(/startxref\n(\d+)/, (_, offset: string) => `startxref\n${Number(offset) - 3}`),
      'latin1',
    );
    expect(reasonOf(shifted)).toBe('its startxref pointer does not point at a cross-reference section');
    const badEntry = Buffer.from(
      good.replace(
        /\n(\d{10}) 00000 n \n/,
        (_, offset: string) => `\n${String(Number(offset) + 1).padStart(10, '0')} 00000 n \n`,
      ),
      'latin1',
    );
    expect(reasonOf(badEntry)).toMatch(/cross-reference entry for object \d+ points at no such object/);
    expect(reasonOf(Buffer.from(good.replace('/Root 1 0 R', '/Info 1 0 R'), 'latin1'))).toBe(
      'its trailer names no document catalog (/Root)',
    );
    expect(reasonOf(plainPdf('', [stream('/Filter /FlateDecode', Buffer.from('not deflate data'))]))).toBe(
      'it has a corrupt compressed stream',
    );
  });
});

describe('BlobAgreementStore on Azurite', () => {
  let standIns: StandIns;
  let container: ContainerClient;
  let store: BlobAgreementStore;

  beforeAll(async () => {
    standIns = await startStandIns({ ports: freeStandInPorts });
    const client = new BlobServiceClient(
      standIns.blobEndpoint,
      new StorageSharedKeyCredential(storageEmulatorAccount.name, storageEmulatorAccount.key),
    );
    container = client.getContainerClient('documents');
    await container.createIfNotExists();
    store = new BlobAgreementStore(() => container);
  });

  afterAll(async () => {
    await standIns?.close();
  });

  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  it('keeps every version under a server-chosen name with its SHA-256, each readable', async () => {
    const requestId = '5d2e4f0a-1c3b-4a5d-8e7f-9a0b1c2d3e4f';
    const versions = [plainPdf(), plainPdf('/Lang (en)'), agreementTemplatePdf()];
    for (const [index, pdf] of versions.entries()) {
      const upload = await acceptAgreementUpload(store, {
        requestId,
        pdf,
        uploadedBy: 'Ada Lovelace <ada@example.org>',
      });
      expect(upload).toMatchObject({
        version: index + 1,
        sha256: sha256(pdf),
        bytes: pdf.length,
        uploadedBy: 'Ada Lovelace <ada@example.org>',
      });
    }
    expect((await store.list(requestId)).map((upload) => [upload.version, upload.sha256])).toEqual(
      versions.map((pdf, index) => [index + 1, sha256(pdf)]),
    );
    for (const [index, pdf] of versions.entries()) {
      const read = await store.read(requestId, index + 1);
      expect(read?.pdf.equals(pdf)).toBe(true);
    }
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix: `agreements/${requestId}/` })) {
      names.push(blob.name);
      expect(blob.properties.contentType).toBe('application/pdf');
    }
    expect(names).toEqual([1, 2, 3].map((version) => `agreements/${requestId}/v000${version}.pdf`));
    expect(await store.read(requestId, 4)).toBeUndefined();
    expect(await store.list('another-request')).toEqual([]);
  });

  it('gives concurrent uploads distinct versions and overwrites none', async () => {
    const requestId = 'c0ffee00-0000-4000-8000-000000000001';
    const pdfs = Array.from({ length: 4 }, (_, index) => plainPdf(`/Lang (v${index})`));
    const uploads = await Promise.all(pdfs.map((pdf) => store.add(requestId, pdf, 'ada')));
    expect(uploads.map((upload) => upload.version).sort()).toEqual([1, 2, 3, 4]);
    for (const upload of uploads) {
      expect(sha256((await store.read(requestId, upload.version))!.pdf)).toBe(upload.sha256);
    }
  });

  it('stores nothing for non-PDF, oversized, empty or polyglot uploads', async () => {
    const requestId = 'badbad00-0000-4000-8000-000000000002';
    const refused = async (pdf: Buffer, maxBytes?: number) => {
      try {
        await acceptAgreementUpload(store, { requestId, pdf, uploadedBy: 'mallory' }, maxBytes);
        return 'stored';
      } catch (error) {
        return isAppError(error) ? `${error.status} ${error.code}` : String(error);
      }
    };
    expect(await refused(Buffer.from('GIF89a...'))).toBe('422 invalid-agreement-pdf');
    expect(await refused(Buffer.alloc(0))).toBe('422 invalid-agreement-pdf');
    expect(await refused(plainPdf(), 64)).toBe('413 payload-too-large');
    expect(await refused(plainPdf('', [], { prefix: zipArchive() }))).toBe('422 invalid-agreement-pdf');
    expect(await refused(plainPdf('', [], { suffix: zipArchive() }))).toBe('422 invalid-agreement-pdf');
    expect(await refused(plainPdf('', [stream('', zipArchive())]))).toBe('422 invalid-agreement-pdf');
    expect(await store.list(requestId)).toEqual([]);
  });

  it('refuses to hand out a version changed behind its back', async () => {
    const requestId = 'feedface-0000-4000-8000-000000000003';
    const upload = await store.add(requestId, plainPdf(), 'ada');
    const blob = container.getBlockBlobClient(`agreements/${requestId}/v0001.pdf`);
    const properties = await blob.getProperties();
    await blob.uploadData(plainPdf('/Lang (tampered)'), { metadata: properties.metadata });
    await expect(store.read(requestId, upload.version)).rejects.toThrow(
      /does not match its recorded SHA-256/,
    );
  });
});
