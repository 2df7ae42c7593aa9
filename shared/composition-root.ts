/**
 * The composition root: the one place that builds adapters from configuration (`getSettings()`), each
 * lazily on first use and then shared by every invocation of the process. Function files take what they
 * need from here; use cases never import it.
 *
 * One section per module; a module adds its wiring in its own section.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '@azure/cosmos';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { BlobAgreementStore } from './agreements/adapters/blob-agreement-store';
import { CosmosEnvelopeIndex } from './agreements/adapters/cosmos-envelope-index';
import {
  DocuSignEnvelopeService,
  docuSignConnectionFrom,
} from './agreements/adapters/docusign-envelope-service';
import { agreementProblems } from './agreements/model';
import type { EnvelopeService } from './agreements/ports';
import { requestSignerProgress } from './agreements/adapters/request-signer-progress';
import { AgreementDocuments } from './agreements/use-cases/agreement-documents';
import { AgreementLifecycle } from './agreements/use-cases/agreement-lifecycle';
import { ConnectDeliveries } from './agreements/use-cases/receive-connect-delivery';
import { CosmosCatalogStore } from './catalog/adapters/cosmos-catalog-store';
import { CatalogService } from './catalog/catalog-service';
import type { Dau } from './catalog/model';
import type { HeldDausLookup } from './catalog/ports';
import { publicBaseUrl } from './config/public-base-url';
import { getSettings } from './config/settings';
import { AppError } from './http/errors';
import { AcsEmailSender } from './notifications/adapters/acs-email-sender';
import { NotificationService } from './notifications/use-cases/send-notification';
import { createEmailClient } from './platform/email';
import { createBlobServiceClient } from './platform/blob';
import { createCosmosClient } from './platform/cosmos';
import { blobStorageProbe, cosmosDatabaseProbe, type DependencyProbe } from './platform/dependency-probes';
import { documentsContainer } from './platform/documents';
import { dataBlobContainers } from './platform/storage-layout';
import { CosmosGrantStore } from './grants/adapters/cosmos-grant-store';
import { GrantsHeldLookup } from './grants/held-daus';
import type { GrantStore } from './grants/ports';
import { requestTimeline } from './notifications/adapters/request-timeline';
import { AccessService } from './provisioning/access-service';
import { BlobPlanStore } from './provisioning/adapters/blob-plan-store';
import { BlobProjectStorage } from './provisioning/adapters/blob-project-storage';
import { sourceBlobService, vendingBlobService } from './provisioning/adapters/blob-services';
import { CosmosCatalogFiles } from './provisioning/adapters/cosmos-catalog-files';
import { CosmosRequestDirectory } from './provisioning/adapters/cosmos-request-directory';
import { ReadSasSigner } from './provisioning/adapters/read-sas';
import { VendingService } from './provisioning/vending-service';
import { BlobSelectionArchive } from './requests/adapters/blob-selection-archive';
import { CosmosRequestStore } from './requests/adapters/cosmos-request-store';
import { CosmosTimelineStore } from './requests/adapters/cosmos-timeline-store';
import type { TimelineStore } from './requests/ports';
import { RequestProgress } from './requests/progress';
import { RequestService } from './requests/request-service';
import { CosmosUserStore } from './users/adapters/cosmos-user-store';
import { ProfileService } from './users/profile-service';
import { CatalogDauCounts } from './reviews/adapters/catalog-dau-counts';
import { CosmosReviewStore } from './reviews/adapters/cosmos-review-store';
import { ReviewLinkSigner } from './reviews/link-tokens';
import { reviewProblems } from './reviews/model';
import { ReviewDecisions } from './reviews/use-cases/review-decisions';
import { ReviewRounds } from './reviews/use-cases/review-rounds';

/** Builds a value on first call and returns the same value afterwards. */
function once<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

// --- platform: Azure clients ------------------------------------------------------------------------------

const getCosmosClient = once(() => createCosmosClient(getSettings()));

/** The app's Cosmos DB database (`CosmosDb__databaseName`). */
export const getCosmosDatabase: () => Database = once(() =>
  getCosmosClient().database(getSettings().CosmosDb__databaseName),
);

export const getBlobServiceClient: () => BlobServiceClient = once(() =>
  createBlobServiceClient(getSettings()),
);

// --- health ---------------------------------------------------------------------------------------------

/** What `/api/health` checks: every service the app cannot work without. */
export const getDependencyProbes: () => readonly DependencyProbe[] = once(() => [
  cosmosDatabaseProbe(getCosmosDatabase()),
  blobStorageProbe(getBlobServiceClient()),
]);

// --- agreements -----------------------------------------------------------------------------------------

/** The private container holding the agreement template and uploaded agreements. */
export const getDocumentsContainer: () => ContainerClient = once(() =>
  documentsContainer(getBlobServiceClient()),
);

/** Uploaded agreements (every version) and the template, in the documents container. */
export const getAgreementStore: () => BlobAgreementStore = once(
  () => new BlobAgreementStore(getDocumentsContainer),
);

/** Envelope → request, signer progress and Connect deliveries (Cosmos `envelopes`). */
export const getEnvelopeIndex: () => CosmosEnvelopeIndex = once(
  () => new CosmosEnvelopeIndex(getCosmosDatabase()),
);

/** DocuSign eSignature; without its settings the electronic route answers 503 naming what is missing. */
export const getEnvelopeService: () => EnvelopeService = once(() => {
  const configured = docuSignConnectionFrom(getSettings());
  if ('missing' in configured) {
    throw new AppError(
      agreementProblems.docuSignUnavailable,
      'Electronic signing is not configured here; upload a signed agreement instead.',
      { cause: new Error(`missing settings: ${configured.missing.join(', ')}`) },
    );
  }
  return new DocuSignEnvelopeService(configured.connection);
});

/** DocuSign Connect deliveries, checked against `DocuSign__connectHmacKeys` (every configured secret). */
export const getConnectDeliveries: () => ConnectDeliveries = once(
  () =>
    new ConnectDeliveries({
      secrets: () => getSettings().DocuSign__connectHmacKeys,
      envelopes: getEnvelopeIndex(),
      requests: requestSignerProgress(getRequestProgress),
    }),
);

/** The agreement step's activities: envelope, status poll, signed / ended, the wait for an upload. */
export const getAgreementLifecycle: () => AgreementLifecycle = once(() => {
  const settings = getSettings();
  return new AgreementLifecycle({
    progress: getRequestProgress(),
    envelopes: getEnvelopeService,
    index: getEnvelopeIndex(),
    template: getAgreementStore(),
    uploads: getAgreementStore(),
    envelopeOptions: () => ({
      webhookUrl: `${publicBaseUrl(settings)}/api/webhooks/docusign`,
      reminderDelayDays: settings.DocuSign__reminderDelayDays,
      reminderFrequencyDays: settings.DocuSign__reminderFrequencyDays,
      expireAfterDays: settings.DocuSign__expireAfterDays,
    }),
    pollMinutes: settings.DocuSign__statusPollMinutes,
    now: () => new Date(),
  });
});

/** Uploading, listing and downloading the signed agreement (owner; admins read). */
export const getAgreementDocuments: () => AgreementDocuments = once(
  () => new AgreementDocuments({ progress: getRequestProgress(), uploads: getAgreementStore() }),
);

// --- catalog --------------------------------------------------------------------------------------------

/** This instance's catalog: the in-memory index over Cosmos DB, refreshed from the change feed. */
export const getCatalogService: () => CatalogService = once(
  () =>
    new CatalogService(new CosmosCatalogStore(getCosmosDatabase(), (line) => console.warn(line)), {
      refreshAfterMs: getSettings().CATALOG_REFRESH_SECONDS * 1000,
      log: (line) => console.log(line),
    }),
);

/** Which DAUs a caller holds: their live grants (the catalog's `held`, the requests' "no agreement needed"). */
export const getHeldDausLookup: () => HeldDausLookup = once(
  () => new GrantsHeldLookup(getGrantStore(), () => new Date()),
);

// --- users ----------------------------------------------------------------------------------------------

/** Profiles (Cosmos `users`) and the `/api/me` use cases. */
export const getProfileService: () => ProfileService = once(
  () => new ProfileService({ users: new CosmosUserStore(getCosmosDatabase()), now: () => new Date() }),
);

// --- grants ---------------------------------------------------------------------------------------------

/** User × DAU grants (Cosmos `grants`); vending writes them, the catalog and the requests read them. */
export const getGrantStore: () => GrantStore = once(() => new CosmosGrantStore(getCosmosDatabase()));

// --- requests -------------------------------------------------------------------------------------------

/** The append-only request timeline (Cosmos `requestEvents`, hash-chained). */
export const getTimelineStore: () => TimelineStore = once(() => new CosmosTimelineStore(getCosmosDatabase()));

/** The requests container (`/ownerId` partitions). */
const getRequestStore = once(() => new CosmosRequestStore(getCosmosDatabase()));

/** How the lifecycle's activities change a submitted request (status derived, timeline recorded). */
export const getRequestProgress: () => RequestProgress = once(
  () =>
    new RequestProgress({
      requests: getRequestStore(),
      timeline: getTimelineStore(),
      now: () => new Date(),
      log: (line) => console.warn(line),
    }),
);

/** Drafts, the wizard, rules, submit, the timeline and the dashboard. */
export const getRequestService: () => RequestService = once(
  () =>
    new RequestService({
      requests: getRequestStore(),
      timeline: getTimelineStore(),
      archive: new BlobSelectionArchive(() =>
        getBlobServiceClient().getContainerClient(dataBlobContainers.selections),
      ),
      catalog: getCatalogService(),
      held: getHeldDausLookup(),
      profiles: getProfileService(),
      now: () => new Date(),
      newId: () => randomUUID(),
      log: (line) => console.warn(line),
    }),
);

// --- notifications ------------------------------------------------------------------------------------

/** Sends the lifecycle's mails through ACS Email (the stand-in locally) and records them on the timeline. */
export const getNotificationService: () => NotificationService = once(() => {
  const settings = getSettings();
  return new NotificationService({
    sender: new AcsEmailSender(() => createEmailClient(settings), settings.Email__sendTimeoutSeconds * 1000),
    timeline: requestTimeline(getTimelineStore()),
    settings: {
      senderAddress: settings.Email__senderAddress,
      replyTo: settings.Email__replyTo,
      publicBaseUrl: () => publicBaseUrl(settings),
    },
    now: () => new Date(),
  });
});

// --- reviews --------------------------------------------------------------------------------------------

/** Signs and checks committee decision links (`Reviews__linkSigningKey`); 503 when no key is configured. */
export const getReviewLinkSigner: () => ReviewLinkSigner = once(() => {
  const key = getSettings().Reviews__linkSigningKey;
  if (key === undefined) {
    throw new AppError(reviewProblems.linksUnavailable, 'Committee decision links are not configured here.', {
      cause: new Error('missing setting: Reviews__linkSigningKey'),
    });
  }
  return new ReviewLinkSigner(key);
});

const getReviewStore = once(() => new CosmosReviewStore(getCosmosDatabase()));
const catalogDaus = async () => (await getCatalogService().daus()).body;

/** What the `dauReview` orchestration's activities do (rounds, reminders, tally, outcome, deadline). */
export const getReviewRounds: () => ReviewRounds = once(() => {
  const settings = getSettings();
  return new ReviewRounds({
    store: getReviewStore(),
    progress: getRequestProgress(),
    daus: catalogDaus,
    signer: getReviewLinkSigner,
    counts: new CatalogDauCounts(getCatalogService()),
    settings: {
      decisionDays: settings.Reviews__decisionDays,
      reminderDays: settings.Reviews__reminderDays,
      linkValidityDays: settings.Reviews__linkValidityDays,
      adminEmails: settings.Reviews__adminEmails,
    },
  });
});

/** Committee members deciding, through their e-mailed links or signed in, and their review queue. */
export const getReviewDecisions: () => ReviewDecisions = once(
  () =>
    new ReviewDecisions({
      store: getReviewStore(),
      requests: getRequestStore(),
      timeline: getTimelineStore(),
      daus: catalogDaus,
      signer: getReviewLinkSigner,
      agreements: getAgreementStore(),
      now: () => new Date(),
    }),
);

// --- provisioning ---------------------------------------------------------------------------------------

/** Project spaces (the vending account) and the source data they are copied from, server-side. */
const getProjectStorage = once(() => {
  const settings = getSettings();
  const vending = vendingBlobService(settings);
  const source = sourceBlobService(settings);
  return new BlobProjectStorage({
    vending,
    vendingSigner: new ReadSasSigner(vending),
    source: source.getContainerClient(settings.SourceData__containerName),
    sourceSigner: new ReadSasSigner(source),
  });
});

/** Copy plans, one blob per batch (`vending-plans`). */
const getPlanStore = once(
  () => new BlobPlanStore(() => getBlobServiceClient().getContainerClient(dataBlobContainers.vendingPlans)),
);

/** The catalog's DAUs as stored (their access duration), without the in-memory index. */
const readCatalogDaus = (): Promise<Dau[]> => new CosmosCatalogStore(getCosmosDatabase()).readDaus();

/** The steps of `dauVending`: plan, copy, progress, complete. */
export const getVendingService: () => VendingService = once(
  () =>
    new VendingService({
      progress: getRequestProgress(),
      archive: new BlobSelectionArchive(() =>
        getBlobServiceClient().getContainerClient(dataBlobContainers.selections),
      ),
      catalogFiles: new CosmosCatalogFiles(getCosmosDatabase()),
      daus: readCatalogDaus,
      plans: getPlanStore(),
      storage: getProjectStorage(),
      grants: getGrantStore(),
    }),
);

/** Vended files and links, close-out, extension, revocation, and the steps of `grantAccess`. */
export const getAccessService: () => AccessService = once(
  () =>
    new AccessService({
      progress: getRequestProgress(),
      grants: getGrantStore(),
      plans: getPlanStore(),
      storage: getProjectStorage(),
      daus: readCatalogDaus,
      directory: new CosmosRequestDirectory(getCosmosDatabase()),
      now: () => new Date(),
      downloadLinkMinutes: getSettings().VendingStorage__downloadLinkMinutes,
      adminEmails: getSettings().Reviews__adminEmails,
    }),
);
