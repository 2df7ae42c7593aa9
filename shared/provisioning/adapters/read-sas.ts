import {
  BlobSASPermissions,
  SASProtocol,
  StorageSharedKeyCredential,
  type BlobClient,
  type BlobServiceClient,
  type UserDelegationKey,
} from '@azure/storage-blob';

/** A user-delegation key is asked for this long and renewed when less than `renewBeforeMs` of it is left. */
const delegationKeyMs = 6 * 3600_000;
const renewBeforeMs = 2 * 3600_000;
/** Clock skew between us and the storage service. */
const skewMs = 5 * 60_000;

/**
 * Read-only SAS URLs for blobs of one storage account: signed with the account key where the client has one
 * (Azurite locally), otherwise with a user-delegation key of the managed identity (Azure, where the account
 * has no key), fetched once per few hours and shared. SAS times are real time: the storage service checks them.
 */
export class ReadSasSigner {
  private delegationKey: Promise<{ key: UserDelegationKey; until: number }> | undefined;

  constructor(
    private readonly service: BlobServiceClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async readUrl(blob: BlobClient, expiresOn: Date): Promise<string> {
    const startsOn = new Date(this.now().getTime() - skewMs);
    const options = {
      permissions: BlobSASPermissions.parse('r'),
      startsOn,
      expiresOn,
      // Azurite serves plain http on loopback; Azure storage is https only.
      protocol: blob.url.startsWith('https:') ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
    };
    if (this.service.credential instanceof StorageSharedKeyCredential) return blob.generateSasUrl(options);
    return blob.generateUserDelegationSasUrl(options, await this.userDelegationKey(expiresOn));
  }

  private async userDelegationKey(expiresOn: Date): Promise<UserDelegationKey> {
    const current = await this.delegationKey?.catch(() => undefined);
    if (current !== undefined && current.until - renewBeforeMs >= expiresOn.getTime()) return current.key;
    const startsOn = new Date(this.now().getTime() - skewMs);
    const until = this.now().getTime() + delegationKeyMs;
    this.delegationKey = this.service
      .getUserDelegationKey(startsOn, new Date(until))
      .then((key) => ({ key, until }));
    return (await this.delegationKey).key;
  }
}
