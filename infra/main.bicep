// Data Requests on Azure: everything `azd up` provisions. Subscription scope (azd creates the resource group).
// Pinned Azure Verified Modules; identity-based connections only (no keys in app settings); secrets in Key Vault.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags derive from it.')
param environmentName string

@minLength(1)
@description('Region of every resource (one that offers Flex Consumption).')
param location string

@description('Where ACS keeps email data.')
param communicationDataLocation string = 'United States'

@description('Issuer (iss) of user tokens: https://login.microsoftonline.com/<tenant>/v2.0')
param authIssuer string
@description('Accepted audiences (aud), comma-separated: the API app registration client id / Application ID URI.')
param authAudience string
@description('JWKS of the issuer.')
param authJwksUri string

@description('DocuSign OAuth host, e.g. account-d.docusign.com (sandbox) or account.docusign.com.')
param docuSignOAuthBasePath string = 'account-d.docusign.com'
param docuSignIntegrationKey string = ''
param docuSignUserId string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'
var databaseName = 'datarequests'
var taskHubName = 'DataRequests'
// Secrets the operator sets after provisioning (README "Deploy to Azure"); app settings reference them.
var secretNames = {
  docuSignPrivateKey: 'docusign-private-key'
  docuSignConnectHmacKeys: 'docusign-connect-hmac-keys'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.6.0' = {
  scope: rg
  params: { name: 'id-${resourceToken}', location: location, tags: tags }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.16.1' = {
  scope: rg
  params: { name: 'log-${resourceToken}', location: location, tags: tags, dataRetention: 30 }
}

var diagnostics = [{ workspaceResourceId: logAnalytics.outputs.resourceId }]

module appInsights 'br/public:avm/res/insights/component:0.8.0' = {
  scope: rg
  params: {
    name: 'appi-${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
    retentionInDays: 30
  }
}

// Host storage (AzureWebJobsStorage, Durable task hub, deployment package) and the app's private data.
module dataStorage 'br/public:avm/res/storage/storage-account:0.33.0' = {
  scope: rg
  params: {
    name: 'stdata${resourceToken}'
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
    blobServices: {
      deleteRetentionPolicyEnabled: true
      deleteRetentionPolicyDays: 7
      containers: [
        { name: deploymentContainerName, publicAccess: 'None' }
        { name: 'source-data', publicAccess: 'None' }
        { name: 'documents', publicAccess: 'None' }
        { name: 'selections', publicAccess: 'None' }
      ]
      diagnosticSettings: diagnostics
    }
    diagnosticSettings: [{ workspaceResourceId: logAnalytics.outputs.resourceId, metricCategories: [{ category: 'Transaction' }] }]
  }
}

// Vended project containers, created per request at run time; download links are user-delegation SAS.
module vendingStorage 'br/public:avm/res/storage/storage-account:0.33.0' = {
  scope: rg
  params: {
    name: 'stvend${resourceToken}'
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
    blobServices: { diagnosticSettings: diagnostics }
  }
}

// Serverless: pay per request, nothing at idle. Containers match shared/platform/storage-layout.ts; the app
// cannot create them itself (Entra data-plane RBAC has no container create).
module cosmos 'br/public:avm/res/document-db/database-account:0.20.1' = {
  scope: rg
  params: {
    name: 'cosmos-${resourceToken}'
    location: location
    tags: tags
    capabilitiesToAdd: ['EnableServerless']
    zoneRedundant: false
    disableLocalAuthentication: true
    minimumTlsVersion: 'Tls12'
    networkRestrictions: { publicNetworkAccess: 'Enabled', networkAclBypass: 'AzureServices' }
    diagnosticSettings: diagnostics
    sqlDatabases: [
      {
        name: databaseName
        containers: [
          {
            name: 'catalogFiles'
            paths: ['/pk']
            defaultTtl: -1
            // FILES_INDEXING_POLICY in shared/catalog/adapters/cosmos-catalog-store.ts
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
    // An Azure-managed domain (DoNotReply@<guid>.azurecomm.net) works at once; README: custom sender domain.
    domains: [{ name: 'AzureManagedDomain', domainManagement: 'AzureManaged', userEngagementTracking: 'Disabled' }]
  }
}

module communication 'br/public:avm/res/communication/communication-service:0.5.0' = {
  scope: rg
  params: {
    name: 'acs-${resourceToken}'
    tags: tags
    dataLocation: communicationDataLocation
    linkedDomains: emailService.outputs.domainResourceIds
    diagnosticSettings: diagnostics
  }
}

module keyVault 'br/public:avm/res/key-vault/vault:0.14.0' = {
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enablePurgeProtection: true
    enableVaultForDeployment: false
    enableVaultForDiskEncryption: false
    enableVaultForTemplateDeployment: false
    diagnosticSettings: diagnostics
  }
}

module plan 'br/public:avm/res/web/serverfarm:0.7.0' = {
  scope: rg
  params: { name: 'plan-${resourceToken}', location: location, tags: tags, skuName: 'FC1', reserved: true, zoneRedundant: false }
}

var dataEndpoints = dataStorage.outputs.serviceEndpoints
// Key Vault references without a version: the platform resolves the latest version (rotation without redeploy).
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
    siteConfig: { alwaysOn: false, minTlsVersion: '1.2', ftpsState: 'Disabled' }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${dataEndpoints.blob}${deploymentContainerName}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identity.outputs.resourceId }
        }
      }
      scaleAndConcurrency: { instanceMemoryMB: 2048, maximumInstanceCount: 40 }
      runtime: { name: 'node', version: '20' }
    }
    diagnosticSettings: diagnostics
    configs: [
      {
        name: 'appsettings'
        retainCurrentAppSettings: false
        properties: {
          AzureWebJobsStorage__credential: 'managedidentity'
          AzureWebJobsStorage__clientId: identity.outputs.clientId
          AzureWebJobsStorage__blobServiceUri: dataEndpoints.blob
          AzureWebJobsStorage__queueServiceUri: dataEndpoints.queue
          AzureWebJobsStorage__tableServiceUri: dataEndpoints.table
          TASKHUB_NAME: taskHubName
          APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.outputs.connectionString
          APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
          AZURE_CLIENT_ID: identity.outputs.clientId
          CosmosDb__accountEndpoint: cosmos.outputs.endpoint
          CosmosDb__databaseName: databaseName
          DataStorage__blobServiceUri: dataEndpoints.blob
          CATALOG_REFRESH_SECONDS: '5'
          AUTH__issuer: authIssuer
          AUTH__audience: authAudience
          AUTH__jwksUri: authJwksUri
          AUTH__requiredScope: 'access_as_user'
          AUTH__adminRole: 'admin'
          DocuSign__oAuthBasePath: docuSignOAuthBasePath
          DocuSign__integrationKey: docuSignIntegrationKey
          DocuSign__userId: docuSignUserId
          DocuSign__privateKey: '@Microsoft.KeyVault(SecretUri=${secretsBaseUri}/${secretNames.docuSignPrivateKey}/)'
          DocuSign__connectHmacKeys: '@Microsoft.KeyVault(SecretUri=${secretsBaseUri}/${secretNames.docuSignConnectHmacKeys}/)'
          DocuSign__reminderDelayDays: '2'
          DocuSign__reminderFrequencyDays: '2'
          DocuSign__expireAfterDays: '30'
          DocuSign__statusPollMinutes: '60'
        }
      }
    ]
  }
}

module roles 'azure/role-assignments.bicep' = {
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    dataStorageAccountName: dataStorage.outputs.name
    vendingStorageAccountName: vendingStorage.outputs.name
    cosmosAccountName: cosmos.outputs.name
    communicationServiceName: communication.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: appInsights.outputs.name
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output DATA_STORAGE_BLOB_ENDPOINT string = dataEndpoints.blob
output VENDING_STORAGE_BLOB_ENDPOINT string = vendingStorage.outputs.serviceEndpoints.blob
output ACS_ENDPOINT string = 'https://${communication.outputs.endpoint}'
output EMAIL_SENDER_DOMAIN string = emailService.outputs.domainFromSenderDomains[0]
output API_BASE_URL string = 'https://${functionApp.outputs.defaultHostname}/api'
