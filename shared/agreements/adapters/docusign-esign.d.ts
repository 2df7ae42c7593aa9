/** The part of `docusign-esign` (which ships no types) that the adapter uses. */
declare module 'docusign-esign' {
  export class ApiClient {
    constructor(options?: { basePath?: string; oAuthBasePath?: string });
    setBasePath(basePath: string): void;
    setOAuthBasePath(oAuthBasePath: string): void;
    addDefaultHeader(name: string, value: string): void;
    requestJWTUserToken(
      clientId: string,
      userId: string,
      scopes: string[],
      rsaPrivateKey: Buffer,
      expiresIn: number,
    ): Promise<{ body: { access_token: string; expires_in: number | string } }>;
    getUserInfo(accessToken: string): Promise<{
      accounts?: { accountId: string; isDefault: string; baseUri: string }[];
    }>;
  }

  export interface Recipient {
    recipientId?: string;
    status?: string;
    name?: string;
    email?: string;
    signedDateTime?: string;
    deliveredDateTime?: string;
    sentDateTime?: string;
    declinedDateTime?: string;
    declinedReason?: string;
  }

  export class EnvelopesApi {
    constructor(apiClient: ApiClient);
    createEnvelope(
      accountId: string,
      options: { envelopeDefinition: unknown },
    ): Promise<{ envelopeId?: string; status?: string }>;
    getEnvelope(
      accountId: string,
      envelopeId: string,
      options?: { include?: string },
    ): Promise<{ envelopeId?: string; status?: string; voidedReason?: string }>;
    listRecipients(accountId: string, envelopeId: string): Promise<{ signers?: Recipient[] }>;
    listStatusChanges(
      accountId: string,
      options: { fromDate?: string; customField?: string; status?: string; include?: string },
    ): Promise<{
      envelopes?: {
        envelopeId?: string;
        status?: string;
        createdDateTime?: string;
        customFields?: { textCustomFields?: { name?: string; value?: string }[] };
      }[];
    }>;
    update(
      accountId: string,
      envelopeId: string,
      options: { envelope: { status: string; voidedReason?: string } },
    ): Promise<unknown>;
  }

  export class FoldersApi {
    constructor(apiClient: ApiClient);
    /** `PUT …/folders/{folderId}`: moves envelopes; to `recyclebin` a draft is deleted. */
    moveEnvelopes(
      accountId: string,
      folderId: string,
      options: { foldersRequest: { envelopeIds: string[]; fromFolderId?: string } },
    ): Promise<unknown>;
  }
}
