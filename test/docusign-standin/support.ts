/**
 * The unmodified `docusign-esign` SDK against the DocuSign stand-in: its own CommonJS axios instance trusts the
 * local CA for the stand-in's origin only, and a client signs in with the JWT grant as the app does.
 */
import { createRequire } from 'node:module';
import https from 'node:https';
import type { DocuSignStandIn } from '../../infra/local/standins/docusign';

const sdkRequire = createRequire(require.resolve('docusign-esign'));
export const docusign = sdkRequire('docusign-esign');
const axios = sdkRequire('axios');

/** Requests to `origin` from the SDK trust `caPem` (others are untouched). */
export function trustStandIn(origin: string, caPem: string): void {
  const agent = new https.Agent({ ca: caPem });
  axios.interceptors.request.use((config: { baseURL?: string; url?: string; httpsAgent?: unknown }) => {
    const target = `${config.baseURL ?? ''}${config.url ?? ''}`;
    if (target.startsWith(origin)) config.httpsAgent = agent;
    return config;
  });
}

/** An EnvelopesApi signed in with the stand-in's integration key (JWT grant, then userinfo's account). */
export async function envelopesApi(standIn: DocuSignStandIn) {
  const client = new docusign.ApiClient({ basePath: `${standIn.origin}/restapi` });
  client.setOAuthBasePath(standIn.oAuthBasePath);
  const { integrationKey, userId, privateKeyPem } = standIn.credentials;
  const token = await client.requestJWTUserToken(
    integrationKey,
    userId,
    ['signature', 'impersonation'],
    privateKeyPem,
    3600,
  );
  const info = await client.getUserInfo(token.body.access_token);
  const account = info.accounts[0];
  client.setBasePath(`${account.baseUri}/restapi`);
  client.addDefaultHeader('Authorization', `Bearer ${token.body.access_token}`);
  return {
    api: new docusign.EnvelopesApi(client),
    accountId: account.accountId as string,
    baseUri: account.baseUri as string,
  };
}

/** The smallest document an envelope can carry (the stand-in checks it is a PDF). */
export const tinyPdfDocument = {
  documentId: '1',
  name: 'daa.pdf',
  fileExtension: 'pdf',
  documentBase64: Buffer.from('%PDF-1.4\n%%EOF').toString('base64'),
} as const;
