/**
 * Uploaded agreements and the agreement template in the private documents container (Blob Storage).
 * Uploads live at `agreements/{requestId}/v0001.pdf`, `v0002.pdf`, … — names the server chooses, never the
 * client's file name — with the SHA-256, size, uploader and time as blob metadata. A version is written
 * with `If-None-Match: *`, so two uploads at once take two versions and no version is ever overwritten.
 */
import { createHash } from 'node:crypto';
import { RestError, type ContainerClient } from '@azure/storage-blob';
import { agreementTemplateBlobName } from '../../platform/documents';
import { agreementUploadSchema, type AgreementUpload } from '../model';
import type { AgreementTemplateSource, AgreementUploadStore } from '../ports';

const maxAttempts = 5;

export class BlobAgreementStore implements AgreementUploadStore, AgreementTemplateSource {
  constructor(private readonly documents: () => ContainerClient) {}

  readTemplate(): Promise<Buffer> {
    return this.documents().getBlobClient(agreementTemplateBlobName).downloadToBuffer();
  }

  async read(
    requestId: string,
    version: number,
  ): Promise<{ upload: AgreementUpload; pdf: Buffer } | undefined> {
    const blob = this.documents().getBlobClient(blobName(requestId, version));
    try {
      const [properties, pdf] = await Promise.all([blob.getProperties(), blob.downloadToBuffer()]);
      const upload = uploadOf(version, properties.metadata ?? {});
      // What is handed out is what was checked and recorded: a blob changed behind our back is not served.
      if (createHash('sha256').update(pdf).digest('hex') !== upload.sha256) {
        throw new Error(`Agreement ${blobName(requestId, version)} does not match its recorded SHA-256`);
      }
      return { upload, pdf };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async list(requestId: string): Promise<AgreementUpload[]> {
    const uploads: AgreementUpload[] = [];
    for await (const item of this.documents().listBlobsFlat({
      prefix: prefixOf(requestId),
      includeMetadata: true,
    })) {
      const version = versionOf(item.name);
      if (version !== undefined) uploads.push(uploadOf(version, item.metadata ?? {}));
    }
    return uploads.sort((a, b) => a.version - b.version);
  }

  async add(requestId: string, pdf: Uint8Array, uploadedBy: string): Promise<AgreementUpload> {
    const sha256 = createHash('sha256').update(pdf).digest('hex');
    for (let attempt = 1; ; attempt++) {
      const existing = await this.list(requestId);
      const upload: AgreementUpload = {
        version: (existing.at(-1)?.version ?? 0) + 1,
        sha256,
        bytes: pdf.byteLength,
        uploadedAt: new Date().toISOString(),
        uploadedBy,
      };
      try {
        await this.documents()
          .getBlockBlobClient(blobName(requestId, upload.version))
          .uploadData(pdf, {
            blobHTTPHeaders: { blobContentType: 'application/pdf' },
            metadata: {
              sha256,
              bytes: String(upload.bytes),
              uploadedat: upload.uploadedAt,
              uploadedby: encodeURIComponent(uploadedBy),
            },
            conditions: { ifNoneMatch: '*' },
          });
        return upload;
      } catch (error) {
        // Another upload took this version first (409 BlobAlreadyExists, or 412): take the next one.
        const taken = error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412);
        if (!taken || attempt >= maxAttempts) throw error;
      }
    }
  }
}

function prefixOf(requestId: string): string {
  return `agreements/${encodeURIComponent(requestId)}/`;
}

function blobName(requestId: string, version: number): string {
  return `${prefixOf(requestId)}v${String(version).padStart(4, '0')}.pdf`;
}

function versionOf(name: string): number | undefined {
  const match = /\/v(\d{4,})\.pdf$/.exec(name);
  return match === null ? undefined : Number(match[1]);
}

function uploadOf(version: number, metadata: Record<string, string>): AgreementUpload {
  return agreementUploadSchema.parse({
    version,
    sha256: metadata['sha256'],
    bytes: Number(metadata['bytes']),
    uploadedAt: metadata['uploadedat'],
    uploadedBy: decodeURIComponent(metadata['uploadedby'] ?? ''),
  });
}
