// Helpr on Azure: a Static Web App (the guest site) with a linked Flex Consumption function app (the API),
// Table Storage, Key Vault and Application Insights. Deploy with infra/deploy.sh or `azd up`.
targetScope = 'resourceGroup'

@minLength(2)
@maxLength(20)
@description('Name prefix for every resource: lowercase letters, digits and hyphens, starting with a letter (for example helpr or helpr-prod).')
param environmentName string

@description('Region of the function app, storage, Key Vault and monitoring. It must offer the Flex Consumption plan.')
param location string = resourceGroup().location

@description('Region of the Static Web App (the site itself is served worldwide; this is where its configuration lives).')
@allowed([
  'westus2'
  'centralus'
  'eastus2'
  'westeurope'
  'eastasia'
])
param staticWebAppLocation string = 'westeurope'

@description('The Plex server to share, by name or machine identifier. Empty: the first server the owner has.')
param plexServerName string = ''

@description('The name shown on the guest page. Empty: the Plex server\'s own name.')
param serverDisplayName string = ''

@description('The admin\'s login name.')
param adminUsername string = 'admin'

@description('Public origin of the site if it has a custom domain (https://invite.example.com). Empty: the Static Web App\'s own host name.')
param siteOrigin string = ''

@description('Upper bound on function app instances; Flex Consumption scales from zero up to this.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('The X-Plex-Client-Identifier every instance sends, so Plex sees one device.')
param plexClientIdentifier string = 'helpr-invite-portal'

@description('The X-Plex-Product name.')
param plexProduct string = 'Helpr'

@description('Timeout of each plex.tv request, in seconds.')
param plexTimeoutSeconds string = '10'

@description('Prefix of the app\'s table names.')
param tablePrefix string = 'helpr'

@description('How long a secret read from Key Vault is reused, in seconds; a rotated secret takes effect within this time.')
param secretCacheTtlSeconds string = '300'

@description('Abuse limits and reliability, as app settings: rate limits per client IP and per identifier (0 turns one off), proxies in front of the app, the repeat window and the Plex retry budget.')
param protection object = {
  RATE_LIMIT_INVITES_PER_MINUTE: '5'
  RATE_LIMIT_INVITES_PER_HOUR: '20'
  RATE_LIMIT_API_PER_HOUR: '50'
  RATE_LIMIT_API_PER_DAY: '200'
  RATE_LIMIT_INVITES_PER_IDENTIFIER_PER_DAY: '10'
  TRUSTED_PROXY_HOPS: '1'
  IDEMPOTENCY_WINDOW_SECONDS: '600'
  PLEX_RETRY_BUDGET_SECONDS: '20'
}

@description('Most GB of logs Log Analytics ingests a day, e.g. 0.5; ingestion stops past it until the next day. -1: no cap.')
param logDailyCapGb string = '0.5'

@description('Days an invite log row is kept; the hourly maintenance timer deletes older ones. 0 keeps the log forever.')
param inviteLogRetentionDays string = '365'

@description('Days an audit trail row (who changed what on the admin API) is kept; the hourly maintenance timer deletes older ones. 0 keeps it forever.')
param auditRetentionDays string = '365'

@description('Object id of the person or service principal that deploys; it gets Key Vault Secrets Officer to put the secrets in. Empty: none.')
param operatorPrincipalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param operatorPrincipalType string = 'User'

// The Key Vault secrets the app reads (shared.config.settings.KEY_VAULT_SECRETS). infra/deploy.sh puts the values in.
// invite-code is optional (HELPR_INVITE_CODE): missing or empty means guests need no global code.
var keyVaultSecretNames = [
  'plex-token'
  'session-signing-key'
  'data-encryption-key'
  'admin-password-hash'
  'invite-code'
]

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var prefix = toLower(environmentName)
var compactPrefix = replace(prefix, '-', '')
var tags = {
  'azd-env-name': environmentName
  app: 'helpr'
}
var deploymentContainerName = 'app-package'

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${prefix}-${token}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${prefix}-${token}'
    applicationInsightsName: 'appi-${prefix}-${token}'
    location: location
    tags: tags
    dailyCapGb: logDailyCapGb
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: 'st${take(compactPrefix, 9)}${token}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: 'kv-${take(compactPrefix, 8)}-${take(token, 11)}'
    location: location
    tags: tags
  }
}

module staticWebApp 'modules/staticwebapp.bicep' = {
  name: 'staticwebapp'
  params: {
    name: 'stapp-${prefix}-${token}'
    location: staticWebAppLocation
    tags: tags
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    planName: 'plan-${prefix}-${token}'
    name: 'func-${prefix}-${token}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: keyVault.outputs.uri
    maximumInstanceCount: maximumInstanceCount
    siteOrigin: empty(siteOrigin) ? 'https://${staticWebApp.outputs.defaultHostname}' : siteOrigin
    plexServerName: plexServerName
    plexClientIdentifier: plexClientIdentifier
    plexProduct: plexProduct
    plexTimeoutSeconds: plexTimeoutSeconds
    serverDisplayName: serverDisplayName
    tablePrefix: tablePrefix
    secretCacheTtlSeconds: secretCacheTtlSeconds
    adminUsername: adminUsername
    protection: protection
    inviteLogRetentionDays: inviteLogRetentionDays
    auditRetentionDays: auditRetentionDays
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.name
    appPrincipalId: identity.outputs.principalId
    operatorPrincipalId: operatorPrincipalId
    operatorPrincipalType: operatorPrincipalType
  }
}

module linkedBackend 'modules/linkedbackend.bicep' = {
  name: 'linkedbackend'
  params: {
    staticWebAppName: staticWebApp.outputs.name
    backendResourceId: functionApp.outputs.id
    backendLocation: location
  }
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = resourceGroup().name
output siteUrl string = empty(siteOrigin) ? 'https://${staticWebApp.outputs.defaultHostname}' : siteOrigin
output staticWebAppName string = staticWebApp.outputs.name
output staticWebAppHostName string = staticWebApp.outputs.defaultHostname
output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output keyVaultName string = keyVault.outputs.name
output keyVaultUri string = keyVault.outputs.uri
output keyVaultSecretNames array = keyVaultSecretNames
output storageAccountName string = storage.outputs.name
