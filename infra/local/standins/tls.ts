/**
 * The local certificate authority of the HTTPS stand-ins (Cosmos DB, and any other that needs TLS).
 *
 * Created once under `dir` and reused, so a client configured with `LOCAL_CA_CERT_PATH` keeps trusting the
 * stand-ins across restarts. Clients trust this CA explicitly (`new https.Agent({ ca })`); nothing in this
 * repository switches TLS verification off process-wide.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';

export interface LocalCertificates {
  /** PEM file of the CA certificate: what clients trust (`LOCAL_CA_CERT_PATH`). */
  readonly caCertPath: string;
  readonly caPem: string;
  /** Certificate for localhost / 127.0.0.1 / ::1, signed by the CA. */
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
}

const caValidityYears = 10;
const serverValidityDays = 825; // the longest validity TLS clients (Apple, browsers) accept for a leaf
/** Renew a server certificate this close to its expiry rather than fail mid-session. */
const renewBeforeMs = 24 * 60 * 60 * 1000;

const files = {
  caCert: 'ca.pem',
  caKey: 'ca-key.pem',
  serverCert: 'server.pem',
  serverKey: 'server-key.pem',
} as const;

/** Where a data folder keeps its certificates (`npm start` and the tools that talk to its stand-ins). */
export function localTlsDir(dataDir: string): string {
  return path.join(dataDir, 'tls');
}

export function localCaCertificatePath(dataDir: string): string {
  return path.join(localTlsDir(dataDir), files.caCert);
}

/** Returns the CA and server certificate under `dir`, creating or renewing what is missing or expired. */
export async function ensureLocalCertificates(dir: string): Promise<LocalCertificates> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const at = (name: string): string => path.join(dir, name);

  let ca = await readPair(at(files.caCert), at(files.caKey));
  if (ca === undefined || isExpired(ca.cert)) {
    ca = createCertificateAuthority();
    await writePair(ca, at(files.caCert), at(files.caKey));
  }

  let server = await readPair(at(files.serverCert), at(files.serverKey));
  if (server === undefined || isExpired(server.cert) || !isIssuedBy(server.cert, ca.cert)) {
    server = createServerCertificate(ca);
    await writePair(server, at(files.serverCert), at(files.serverKey));
  }

  return {
    caCertPath: at(files.caCert),
    caPem: forge.pki.certificateToPem(ca.cert),
    serverCertPem: forge.pki.certificateToPem(server.cert),
    serverKeyPem: forge.pki.privateKeyToPem(server.key),
  };
}

interface CertificateAndKey {
  readonly cert: forge.pki.Certificate;
  readonly key: forge.pki.rsa.PrivateKey;
}

async function readPair(certPath: string, keyPath: string): Promise<CertificateAndKey | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([
      fs.readFile(certPath, 'utf8'),
      fs.readFile(keyPath, 'utf8'),
    ]);
    return {
      cert: forge.pki.certificateFromPem(certPem),
      key: forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey,
    };
  } catch {
    return undefined; // absent or unreadable: create a new pair
  }
}

async function writePair(pair: CertificateAndKey, certPath: string, keyPath: string): Promise<void> {
  // The key first, readable by the owner only; writeFile's mode applies only on creation, so chmod as well.
  await fs.writeFile(keyPath, forge.pki.privateKeyToPem(pair.key), { mode: 0o600 });
  await fs.chmod(keyPath, 0o600);
  await fs.writeFile(certPath, forge.pki.certificateToPem(pair.cert), { mode: 0o644 });
}

function isExpired(cert: forge.pki.Certificate): boolean {
  return cert.validity.notAfter.getTime() - renewBeforeMs <= Date.now();
}

function isIssuedBy(cert: forge.pki.Certificate, ca: forge.pki.Certificate): boolean {
  try {
    return ca.verify(cert);
  } catch {
    return false;
  }
}

function newCertificate(publicKey: forge.pki.PublicKey, validForMs: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive, random serial (leading 0 bit) so re-created certificates never collide in a client's cache.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const notBefore = new Date(Date.now() - 60_000); // tolerate small clock differences
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + validForMs);
  return cert;
}

function createCertificateAuthority(): CertificateAndKey {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = newCertificate(keys.publicKey, caValidityYears * 365 * 24 * 60 * 60 * 1000);
  const subject = [
    { name: 'commonName', value: 'Data Requests local development CA' },
    { name: 'organizationName', value: 'Data Requests (local only)' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert, key: keys.privateKey };
}

function createServerCertificate(ca: CertificateAndKey): CertificateAndKey {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = newCertificate(keys.publicKey, serverValidityDays * 24 * 60 * 60 * 1000);
  cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' }, // DNS
        { type: 7, ip: '127.0.0.1' }, // IP
        { type: 7, ip: '::1' },
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());
  return { cert, key: keys.privateKey };
}
