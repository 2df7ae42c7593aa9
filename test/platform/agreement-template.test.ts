/**
 * GET /api/agreements/template against Azurite: the seeded PDF streamed with its type, length and ETag,
 * 304 on a matching If-None-Match, 404 problem+json when the template is absent.
 */
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
  type BlockBlobClient,
  type ContainerClient,
} from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreementTemplate } from '../../functions/agreement-template';
import { startAzurite, storageEmulatorAccount, type Azurite } from '../../infra/local/standins/azurite';
import { agreementTemplatePdf, seedDocuments } from '../../infra/local/standins/seed-documents';
import { agreementTemplateBlobName, documentsContainerName } from '../../shared/platform/documents';
import { call, exampleSettings } from './support';

const url = 'http://localhost:7071/api/agreements/template';
let azurite: Azurite;
let env: Record<string, string>;

beforeAll(async () => {
  azurite = await startAzurite({ ports: { blob: 0, queue: 0, table: 0 } });
  env = { ...exampleSettings, DataStorage__blobServiceUri: azurite.blobEndpoint };
  Object.assign(process.env, env);
});
afterAll(() => azurite.close());

function documents(): ContainerClient {
  const { name, key } = storageEmulatorAccount;
  return new BlobServiceClient(
    azurite.blobEndpoint,
    new StorageSharedKeyCredential(name, key),
  ).getContainerClient(documentsContainerName);
}

function templateBlob(): BlockBlobClient {
  return documents().getBlockBlobClient(agreementTemplateBlobName);
}

describe('seeding the agreement template', () => {
  it('uploads the PDF once into a private container and leaves an existing one alone', async () => {
    expect(await seedDocuments(env)).toBe('created');
    expect(await seedDocuments(env)).toBe('present');
    const properties = await templateBlob().getProperties();
    expect(properties.contentType).toBe('application/pdf');
    const access = await documents().getAccessPolicy();
    expect(access.blobPublicAccess).toBeUndefined(); // no anonymous access
  });

  it('is a well-formed one-page PDF: every cross-reference offset points at its object', () => {
    const pdf = agreementTemplatePdf().toString('latin1');
    expect(pdf.startsWith('%PDF-1.4\n')).toBe(true);
    expect(pdf.endsWith('%%EOF\n')).toBe(true);
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(pdf)?.[1]);
    expect(pdf.slice(startxref, startxref + 4)).toBe('xref');
    const entries = [...pdf.slice(startxref).matchAll(/^(\d{10}) 00000 n \n/gm)].map((match) =>
      Number(match[1]),
    );
    expect(entries).toHaveLength(5);
    entries.forEach((offset, index) =>
      expect(pdf.slice(offset).startsWith(`${index + 1} 0 obj\n`)).toBe(true),
    );
    const length = Number(/\/Length (\d+)/.exec(pdf)?.[1]);
    const streamStart = pdf.indexOf('stream\n') + 'stream\n'.length;
    expect(pdf.slice(streamStart + length)).toMatch(/^\nendstream/);
    expect(pdf).toContain('(Data Access Agreement \\(template\\)) Tj');
    expect(pdf).toContain('/Count 1');
  });
});

describe('GET /api/agreements/template', () => {
  it('streams the PDF with its type, length and strong ETag', async () => {
    const { response } = await call(agreementTemplate, url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.equals(agreementTemplatePdf())).toBe(true);
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    const etag = response.headers.get('etag');
    expect(etag).toBe((await templateBlob().getProperties()).etag);
    expect(etag).toMatch(/^"[^"]+"$/); // strong: no W/ prefix
  });

  it('answers 304 without a body when If-None-Match has the current ETag, 200 otherwise', async () => {
    const etag = (await templateBlob().getProperties()).etag!;
    const { response: notModified } = await call(agreementTemplate, url, { 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(etag);
    expect(await notModified.text()).toBe('');

    const { response: changed } = await call(agreementTemplate, url, { 'if-none-match': '"0x0000"' });
    expect(changed.status).toBe(200);
  });

  it('answers 404 problem+json when the template is absent', async () => {
    await templateBlob().delete();
    const { response } = await call(agreementTemplate, url);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({
      type: 'https://datarequests.dev/problems/not-found',
      status: 404,
      detail: 'The Data Access Agreement template is not available.',
    });
  });
});
