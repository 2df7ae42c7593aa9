// Data Requests on Azure: everything `azd up` provisions (README "Deploy to Azure"). Subscription scope, so azd
// creates the resource group too. Pinned Azure Verified Modules; one user-assigned managed identity for every
// Azure connection of the app (no keys anywhere: local auth is off on Cosmos DB, Storage and App Insights);
// secrets only in Key Vault, referenced from app settings; every role assignment in azure/role-assignments.bicep.
//
// test/infra/ parses this file (tree-sitter-bicep) and fails when it drifts from the code: the settings schema
// (shared/config/settings.ts), the containers (shared/platform/storage-layout.ts) and the roles they need.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; resource names and tags derive from it.')
param environmentName string

@minLength(1)
@description('Region of every resource; it must offer the Flex Consumption plan.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the person running azd (azd sets AZURE_PRINCIPAL_ID). Gets the app\'s data access, to run it locally against these resources (local.settings.azure.json), and may set Key Vault secrets. Empty: nobody.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
@description('Kind of principalId: a person (User), or a CI identity (ServicePrincipal).')
param principalType string = 'User'

@description('Issuer (iss) of user tokens: https://login.microsoftonline.com/<tenant-id>/v2.0')
param authIssuer string

@description('Accepted audiences (aud), comma-separated: the API app registration\'s client id and/or Application ID URI.')
param authAudience string

@description('JWKS of the issuer: https://login.microsoftonline.com/<tenant-id>/discovery/v2.0/keys')
param authJwksUri string

@description('Delegated scope (scp) that marks a user token for this API.')
param authRequiredScope string = 'access_as_user'

@description('App role (roles claim) of admins.')
param authAdminRole string = 'admin'

@description('Public base URL of the API for links in mails and the DocuSign Connect callback, when a custom domain or gateway fronts the app. Empty: https://<default host name>.')
param publicBaseUrl string = ''

@description('Origins of the web client allowed by CORS, comma-separated, e.g. https://data.example.org')
param corsAllowedOrigins string = ''

@description('Where Azure Communication Services keeps email data at rest.')
param communicationDataLocation string = 'United States'

@description('Your own sender domain, e.g. mail.example.org (README). Empty: only the Azure-managed domain.')
param customEmailDomain string = ''

@description('Set once the DNS records of customEmailDomain are published and verified: links it for sending.')
param customEmailDomainVerified bool = false

@description('Sender (MailFrom) of the app\'s mail. Empty: DoNotReply@ the custom domain once verified, else @ the Azure-managed domain.')
param emailSenderAddress string = ''

@description('Reply-To of the app\'s mail (optional).')
param emailReplyTo string = ''

@description('Who is mailed when a committee\'s decision deadline passes (comma-separated addresses; empty: nobody).')
param reviewAdminEmails string = ''

@description('DocuSign OAuth host: account-d.docusign.com (developer sandbox) or account.docusign.com (production).')
param docuSignOAuthBasePath string = 'account-d.docusign.com'

@description('DocuSign integration key (OAuth client id). Empty: the electronic agreement route answers 503 until set.')
param docuSignIntegrationKey string = ''

@description('DocuSign user id (GUID) the app impersonates with the JWT grant.')
param docuSignUserId string = ''

@description('Blob service URI of the source data the catalog files are copied from (empty: the data storage account). The app identity needs Storage Blob Data Reader and Storage Blob Delegator there.')
param sourceDataBlobServiceUri string = ''

@description('Container of the source data, holding every catalog file at its filePath.')
param sourceDataContainerName string = 'source'

@description('Cosmos DB capacity: serverless (pay per request, nothing at idle) or shared autoscale throughput (1000 RU/s max) for sustained load.')
param cosmosServerless bool = true

@minValue(0)
@description('Always-ready instances for HTTP: 0 scales to zero at idle (cold starts); 1 keeps one instance warm (billed).')
param alwaysReadyInstances int = 0

@description('Key Vault purge protection. On for production; it cannot be turned off again and keeps `azd down --purge` from purging the vault.')
param keyVaultPurgeProtection bool = false

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-${resourceToken}'
// The Flex Consumption app's deployment container: azd uploads the package here.
var deploymentContainerName = 'app-package-${resourceToken}'
var databaseName = 'datarequests'
var corsOrigins = filter(map(split(corsAllowedOrigins, ','), origin => trim(origin)), origin => !empty(origin))
var taskHubName = 'DataRequests'
// Secrets the operator sets after provisioning (README); app settings reference their latest version.
var secretNames = {
  docuSignPrivateKey: 'docusign-private-key'
  docuSignConnectHmacKeys: 'docusign-connect-hmac-keys'
  reviewLinkSigningKey: 'review-link-signing-key'
}

// Every Cosmos container of shared/platform/storage-layout.ts (`cosmosContainers`) with its partition key and TTL
// (defaultTtl -1: TTL on, items expire only by their own `ttl`; absent: TTL off). The app cannot create them itself
// (Entra data-plane RBAC has no container create), so a missing one is a start-up failure, not a lazy create.
var cosmosContainers = [
  {
    name: 'catalogFiles'
    paths: ['/pk']
    defaultTtl: -1
    // FILES_INDEXING_POLICY in shared/catalog/adapters/cosmos-catalog-store.ts: only sampleName is queried.
    indexingPolicy: {
      indexingMode: 'consistent'
      automatic: true
      includedPaths: [{ path: '/sampleName/?' }]
      excludedPaths: [{ path: '/*' }, { path: '/"_etag"/?' }]
    }
  }
  { name: 'catalogDaus', paths: ['/id'] }
  { name: 'catalogSnapshots', paths: ['/snapshotId'] }
  { name: 'users', paths: ['/id'] }
  { name: 'requests', paths: ['/ownerId'] }
  { name: 'requestEvents', paths: ['/requestId'] }
  { name: 'grants', paths: ['/userId'] }
  { name: 'reviews', paths: ['/requestId'] }
  { name: 'envelopes', paths: ['/envelopeId'], defaultTtl: -1 }
]

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

// The app's only identity: host storage, data, mail, secrets and telemetry all use it.
module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.6.0' = {
  scope: rg
  params: { name: 'id-${resourceToken}', location: location, tags: tags }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.16.1' = {
  scope: rg
  params: { name: 'log-${resourceToken}', location: location, tags: tags, dataRetention: 30 }
}

// Logs and metrics of a resource to the workspace (AVM default: every log category group and all metrics).
var diagnostics = [{ workspaceResourceId: logAnalytics.outputs.resourceId }]
// Metrics only, for services whose logs would be the Durable task hub's queue polling, billed by the GB.
var metricsOnly = [{ workspaceResourceId: logAnalytics.outputs.resourceId, metricCategories: [{ category: 'Transaction' }] }]

module appInsights 'br/public:avm/res/insights/component:0.8.0' = {
  scope: rg
  params: {
    name: 'appi-${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    // Ingestion with Entra ID only (APPLICATIONINSIGHTS_AUTHENTICATION_STRING, Monitoring Metrics Publisher).
    disableLocalAuth: true
    retentionInDays: 30
    diagnosticSettings: diagnostics
  }
}

// Host storage (AzureWebJobsStorage: the Durable task hub's queues, tables and leases; the deployment package)
// and the app's private blobs (`dataBlobContainers` in shared/platform/storage-layout.ts).
module dataStorage 'br/public:avm/res/storage/storage-account:0.33.0' = {
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
    blobServices: {
      deleteRetentionPolicyEnabled: true
      deleteRetentionPolicyDays: 7
      containerDeleteRetentionPolicyEnabled: true
      containerDeleteRetentionPolicyDays: 7
      containers: [
        { name: deploymentContainerName, publicAccess: 'None' }
        // The private agreements container: the agreement template and every uploaded signed version.
        { name: 'documents', publicAccess: 'None' }
        // Frozen selections: one gzip manifest of file ids per submitted request.
        { name: 'selections', publicAccess: 'None' }
        // Vending plans: a vend's batches of files to copy (`<requestId>/<dauId>/<n>.json`).
        { name: 'vending-plans', publicAccess: 'None' }
      ]
      diagnosticSettings: diagnostics
    }
    queueServices: { diagnosticSettings: metricsOnly }
    tableServices: { diagnosticSettings: metricsOnly }
    diagnosticSettings: metricsOnly
  }
}

// Vended project containers (one per requester's project) and their user-delegation SAS download links live in
// the data storage account for now (VendingStorage__blobServiceUri): its Blob Data Contributor and Delegator
// roles cover them. A separate vending account goes here, with its roles in role-assignments.bicep.

// Cosmos DB for NoSQL: serverless by default. Keys off (Entra data-plane RBAC only), TLS 1.2, 7-day continuous
// backup (free tier of point-in-time restore).
module cosmos 'br/public:avm/res/document-db/database-account:0.20.1' = {
  scope: rg
  params: {
    name: 'cosmos-${resourceToken}'
    location: location
    tags: tags
    capabilitiesToAdd: cosmosServerless ? ['EnableServerless'] : []
    zoneRedundant: false
    disableLocalAuthentication: true
    disableKeyBasedMetadataWriteAccess: true
    minimumTlsVersion: 'Tls12'
    backupPolicyType: 'Continuous'
    backupPolicyContinuousTier: 'Continuous7Days'
    networkRestrictions: { publicNetworkAccess: 'Enabled', networkAclBypass: 'AzureServices' }
    diagnosticSettings: diagnostics
    sqlDatabases: [
      {
        name: databaseName
        // Provisioned mode: one shared autoscale budget for all containers (ignored when serverless).
        autoscaleSettingsMaxThroughput: cosmosServerless ? null : 1000
        containers: cosmosContainers
      }
    ]
  }
}

module emailService 'br/public:avm/res/communication/email-service:0.4.5' = {
  scope: rg
  params: {
    name: 'email-${resourceToken}'
    tags: tags
    dataLocation: communicationDataLocation
    // DoNotReply@<guid>.azurecomm.net works at once (low sending limits); a custom domain sends once verified.
    domains: concat(
      [{ name: 'AzureManagedDomain', domainManagement: 'AzureManaged', userEngagementTracking: 'Disabled' }],
      empty(customEmailDomain)
        ? []
        : [{ name: customEmailDomain, domainManagement: 'CustomerManaged', userEngagementTracking: 'Disabled' }]
    )
  }
}

// Only verified domains can be linked; the Azure-managed one always is.
var linkedEmailDomains = !empty(customEmailDomain) && customEmailDomainVerified
  ? emailService.outputs.domainResourceIds
  : [emailService.outputs.domainResourceIds[0]]
var emailSender = !empty(emailSenderAddress)
  ? emailSenderAddress
  : (!empty(customEmailDomain) && customEmailDomainVerified
      ? 'DoNotReply@${customEmailDomain}'
      : 'DoNotReply@${emailService.outputs.domainMailFromSenderDomains[0]}')

module communication 'br/public:avm/res/communication/communication-service:0.5.0' = {
  scope: rg
  params: {
    name: 'acs-${resourceToken}'
    tags: tags
    dataLocation: communicationDataLocation
    linkedDomains: linkedEmailDomains
    diagnosticSettings: diagnostics
  }
}

// Secrets only (the DocuSign RSA key, the Connect HMAC keys), RBAC authorization, no template/VM access.
module keyVault 'br/public:avm/res/key-vault/vault:0.14.0' = {
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    enablePurgeProtection: keyVaultPurgeProtection
    enableVaultForDeployment: false
    enableVaultForDiskEncryption: false
    enableVaultForTemplateDeployment: false
    diagnosticSettings: diagnostics
  }
}

module plan 'br/public:avm/res/web/serverfarm:0.7.0' = {
  scope: rg
  params: {
    name: 'plan-${resourceToken}'
    location: location
    tags: tags
    skuName: 'FC1'
    reserved: true
    zoneRedundant: false
  }
}

var dataEndpoints = dataStorage.outputs.serviceEndpoints
// Key Vault references without a version resolve to the latest one: rotating a secret needs no redeployment.
var secretsBaseUri = '${keyVault.outputs.uri}secrets'

module functionApp 'br/public:avm/res/web/site:0.24.0' = {
  scope: rg
  params: {
    name: functionAppName
    kind: 'functionapp,linux'
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    serverFarmResourceId: plan.outputs.resourceId
    httpsOnly: true
    managedIdentities: { userAssignedResourceIds: [identity.outputs.resourceId] }
    keyVaultAccessIdentityResourceId: identity.outputs.resourceId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      cors: { allowedOrigins: corsOrigins, supportCredentials: false }
    }
    // azd deploys with Entra ID (OneDeploy); publishing with basic credentials stays off.
    basicPublishingCredentialsPolicies: [{ name: 'ftp', allow: false }, { name: 'scm', allow: false }]
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${dataEndpoints.blob}${deploymentContainerName}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identity.outputs.resourceId }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: 2048
        maximumInstanceCount: 40
        // HTTP requests one instance takes before the platform adds another.
        triggers: { http: { perInstanceConcurrency: 16 } }
        alwaysReady: alwaysReadyInstances > 0 ? [{ name: 'http', instanceCount: alwaysReadyInstances }] : []
      }
      runtime: { name: 'node', version: '22' }
    }
    diagnosticSettings: diagnostics
    configs: [
      {
        name: 'appsettings'
        // This file owns the app settings: a re-provision removes settings added by hand.
        retainCurrentAppSettings: false
        properties: {
          // Functions host storage and the Durable task hub (TASKHUB_NAME, host.json), with the identity.
          AzureWebJobsStorage__credential: 'managedidentity'
          AzureWebJobsStorage__clientId: identity.outputs.clientId
          AzureWebJobsStorage__blobServiceUri: dataEndpoints.blob
          AzureWebJobsStorage__queueServiceUri: dataEndpoints.queue
          AzureWebJobsStorage__tableServiceUri: dataEndpoints.table
          TASKHUB_NAME: taskHubName
          // Telemetry: the host and functions/telemetry.ts export to Application Insights with the identity.
          APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.outputs.connectionString
          APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
          // shared/config/settings.ts, in its order.
          CosmosDb__accountEndpoint: cosmos.outputs.endpoint
          CosmosDb__databaseName: databaseName
          DataStorage__blobServiceUri: dataEndpoints.blob
          SourceData__blobServiceUri: empty(sourceDataBlobServiceUri) ? dataEndpoints.blob : sourceDataBlobServiceUri
          SourceData__containerName: sourceDataContainerName
          VendingStorage__blobServiceUri: dataEndpoints.blob
          VendingStorage__downloadLinkMinutes: '60'
          AZURE_CLIENT_ID: identity.outputs.clientId
          CATALOG_REFRESH_SECONDS: '5'
          AUTH__issuer: authIssuer
          AUTH__audience: authAudience
          AUTH__jwksUri: authJwksUri
          AUTH__requiredScope: authRequiredScope
          AUTH__adminRole: authAdminRole
          PUBLIC_BASE_URL: publicBaseUrl
          Email__endpoint: 'https://${communication.outputs.endpoint}'
          Email__senderAddress: emailSender
          Email__replyTo: emailReplyTo
          Email__sendTimeoutSeconds: '60'
          DocuSign__oAuthBasePath: docuSignOAuthBasePath
          DocuSign__integrationKey: docuSignIntegrationKey
          DocuSign__userId: docuSignUserId
          DocuSign__privateKey: '@Microsoft.KeyVault(SecretUri=${secretsBaseUri}/${secretNames.docuSignPrivateKey}/)'
          DocuSign__connectHmacKeys: '@Microsoft.KeyVault(SecretUri=${secretsBaseUri}/${secretNames.docuSignConnectHmacKeys}/)'
          DocuSign__reminderDelayDays: '2'
          DocuSign__reminderFrequencyDays: '2'
          DocuSign__expireAfterDays: '30'
          DocuSign__statusPollMinutes: '60'
          Reviews__linkSigningKey: '@Microsoft.KeyVault(SecretUri=${secretsBaseUri}/${secretNames.reviewLinkSigningKey}/)'
          Reviews__decisionDays: '14'
          Reviews__reminderDays: '5'
          Reviews__linkValidityDays: '30'
          Reviews__adminEmails: reviewAdminEmails
        }
      }
    ]
  }
}

module roles 'azure/role-assignments.bicep' = {
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    developerPrincipalId: principalId
    developerPrincipalType: principalType
    dataStorageAccountName: dataStorage.outputs.name
    cosmosAccountName: cosmos.outputs.name
    cosmosDatabaseName: databaseName
    communicationServiceName: communication.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: appInsights.outputs.name
  }
}

// azd stores these in .azure/<env>/.env; infra/azure/hooks/postprovision.ts reads them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output API_BASE_URL string = 'https://${functionApp.outputs.defaultHostname}/api'
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output COSMOS_DATABASE_NAME string = databaseName
output DATA_STORAGE_BLOB_ENDPOINT string = dataEndpoints.blob
output DATA_STORAGE_QUEUE_ENDPOINT string = dataEndpoints.queue
output DATA_STORAGE_TABLE_ENDPOINT string = dataEndpoints.table
output ACS_ENDPOINT string = 'https://${communication.outputs.endpoint}'
output AZURE_EMAIL_SENDER string = emailSender
// DNS records to publish for customEmailDomain (domain ownership, SPF, DKIM), per domain.
output EMAIL_DOMAIN_VERIFICATION_RECORDS array = emailService.outputs.domainVerificationRecords
