/**
 * The local certificate authority: created once and reused, private keys owner-only, a server certificate
 * for localhost/127.0.0.1/::1 that clients accept only when they trust the CA explicitly.
 */
import { promises as fs } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalCertificates, type LocalCertificates } from '../../infra/local/standins/tls';
import { temporaryDirectory } from './support';

let dir: string;
let certificates: LocalCertificates;
let server: https.Server;
let port: number;

beforeAll(async () => {
  dir = await temporaryDirectory('tls');
  certificates = await ensureLocalCertificates(dir);
  server = https.createServer(
    { cert: certificates.serverCertPem, key: certificates.serverKeyPem },
    (_req, res) => res.end('hello'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function get(options: https.RequestOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get({ port, path: '/', ...options }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

describe('local certificate authority', () => {
  it('is trusted by a client that names it, for 127.0.0.1 and localhost', async () => {
    const agent = new https.Agent({ ca: certificates.caPem });
    expect(await get({ host: '127.0.0.1', agent })).toBe('hello');
    expect(await get({ host: 'localhost', servername: 'localhost', agent })).toBe('hello');
  });

  it('is not trusted by a client that does not name it', async () => {
    await expect(get({ host: '127.0.0.1', agent: new https.Agent() })).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });

  it('stores the private keys readable by the owner only and the CA at caCertPath', async () => {
    for (const key of ['ca-key.pem', 'server-key.pem']) {
      expect((await fs.stat(path.join(dir, key))).mode & 0o777).toBe(0o600);
    }
    expect(await fs.readFile(certificates.caCertPath, 'utf8')).toBe(certificates.caPem);
  });

  it('reuses the CA and server certificate at the next start', async () => {
    const again = await ensureLocalCertificates(dir);
    expect(again.caPem).toBe(certificates.caPem);
    expect(again.serverCertPem).toBe(certificates.serverCertPem);
  });

  it('issues a server certificate for localhost, 127.0.0.1 and ::1 valid for 825 days, under a 10-year CA', () => {
    const ca = forge.pki.certificateFromPem(certificates.caPem);
    const leaf = forge.pki.certificateFromPem(certificates.serverCertPem);
    expect(ca.verify(leaf)).toBe(true);
    const altNames = (leaf.getExtension('subjectAltName') as { altNames: { value?: string; ip?: string }[] })
      .altNames;
    expect(altNames.map((name) => name.ip ?? name.value)).toEqual(['localhost', '127.0.0.1', '::1']);
    const days = (cert: forge.pki.Certificate): number =>
      Math.round((cert.validity.notAfter.getTime() - cert.validity.notBefore.getTime()) / 86_400_000);
    expect(days(leaf)).toBe(825);
    expect(days(ca)).toBe(3650);
  });

  it('renews an expired server certificate, keeping the CA', async () => {
    const expiredDir = await temporaryDirectory('tls-expired');
    const original = await ensureLocalCertificates(expiredDir);
    const leaf = forge.pki.certificateFromPem(original.serverCertPem);
    const caKey = forge.pki.privateKeyFromPem(await fs.readFile(path.join(expiredDir, 'ca-key.pem'), 'utf8'));
    leaf.validity.notBefore = new Date(Date.now() - 10 * 86_400_000);
    leaf.validity.notAfter = new Date(Date.now() - 86_400_000);
    leaf.sign(caKey, forge.md.sha256.create());
    await fs.writeFile(path.join(expiredDir, 'server.pem'), forge.pki.certificateToPem(leaf));

    const renewed = await ensureLocalCertificates(expiredDir);
    expect(renewed.caPem).toBe(original.caPem);
    expect(forge.pki.certificateFromPem(renewed.serverCertPem).validity.notAfter.getTime()).toBeGreaterThan(
      Date.now(),
    );
  });
});
