// Every role assignment of the deployment, least privilege, each named guid(scope, principal, role) so that a
// re-provision changes nothing. Built-in role ids are the same in every tenant.
//
// The app's identity gets exactly what the code needs (test/infra derives the list from the app settings and
// fails on a missing or an extra role). The optional developer principal (azd's AZURE_PRINCIPAL_ID) gets the
// same data access, to run the app locally against these resources, plus Key Vault Secrets Officer to set the
// secrets the README names.
param appPrincipalId string
param developerPrincipalId string = ''
@allowed(['User', 'ServicePrincipal', 'Group'])
param developerPrincipalType string = 'User'
param dataStorageAccountName string
param cosmosAccountName string
param cosmosDatabaseName string
param communicationServiceName string
param keyVaultName string
param appInsightsName string

var roles = {
  // Blobs: the app's containers, the Functions host's leases and the deployment package.
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  // User-delegation keys for SAS download links (an account-level action, kept apart from the blob data role).
  storageBlobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
  // Durable task hub: control and work-item queues, history and instance tables.
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // Sending mail through ACS with Entra ID; the only built-in role that allows it.
  communicationAndEmailServiceOwner: '09976791-48a7-449e-bb21-39d1a415f350'
  // Reading secrets (Key Vault references); the developer may also set them.
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  // Telemetry ingestion into Application Insights with local auth off.
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}
// Cosmos DB's own data-plane RBAC: items, queries, change feed, metadata reads; no control plane.
var cosmosBuiltInDataContributor = '00000000-0000-0000-0000-000000000002'

var dataStorageRoles = [
  roles.storageBlobDataContributor
  roles.storageBlobDelegator
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]
var developer = !empty(developerPrincipalId)

resource dataStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataStorageAccountName
}
resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: cosmosAccountName
}
resource communication 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationServiceName
}
resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}
resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// --- the app's identity ------------------------------------------------------------------------------------

resource appDataStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in dataStorageRoles: {
    name: guid(dataStorage.id, appPrincipalId, role)
    scope: dataStorage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appEmail 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communication.id, appPrincipalId, roles.communicationAndEmailServiceOwner)
  scope: communication
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.communicationAndEmailServiceOwner
    )
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, appPrincipalId, roles.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Scoped to the app's database, not the account.
resource appCosmos 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {
  parent: cosmos
  name: guid(cosmos.id, appPrincipalId, cosmosBuiltInDataContributor)
  properties: {
    principalId: appPrincipalId
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosBuiltInDataContributor}'
    scope: '${cosmos.id}/dbs/${cosmosDatabaseName}'
  }
}

// --- the developer (optional) ------------------------------------------------------------------------------

resource developerDataStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in dataStorageRoles: if (developer) {
    name: guid(dataStorage.id, developerPrincipalId, role)
    scope: dataStorage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: developerPrincipalId
      principalType: developerPrincipalType
    }
  }
]

resource developerEmail 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (developer) {
  name: guid(communication.id, developerPrincipalId, roles.communicationAndEmailServiceOwner)
  scope: communication
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.communicationAndEmailServiceOwner
    )
    principalId: developerPrincipalId
    principalType: developerPrincipalType
  }
}

resource developerSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (developer) {
  name: guid(keyVault.id, developerPrincipalId, roles.keyVaultSecretsOfficer)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: developerPrincipalId
    principalType: developerPrincipalType
  }
}

// After the app's: Cosmos DB runs one control-plane operation per account at a time.
resource developerCosmos 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = if (developer) {
  parent: cosmos
  dependsOn: [appCosmos]
  name: guid(cosmos.id, developerPrincipalId, cosmosBuiltInDataContributor)
  properties: {
    principalId: developerPrincipalId
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosBuiltInDataContributor}'
    scope: '${cosmos.id}/dbs/${cosmosDatabaseName}'
  }
}
