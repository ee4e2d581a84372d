// The API: a Python function app on the Flex Consumption plan, running as the user-assigned identity.
param planName string
param name string
param location string
param tags object
param identityId string
param identityClientId string
param storageBlobEndpoint string
param storageQueueEndpoint string
param storageTableEndpoint string
param deploymentContainerName string
param applicationInsightsConnectionString string
param keyVaultUri string
param maximumInstanceCount int
param siteOrigin string
param plexServerName string
param plexClientIdentifier string
param plexProduct string
param plexTimeoutSeconds string
param serverDisplayName string
param tablePrefix string
param secretCacheTtlSeconds string
param adminUsername string
param protection object
param inviteLogRetentionDays string
param auditRetentionDays string

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  // checkov:skip=CKV_AZURE_225: Zone redundancy on Flex Consumption is offered in some regions only; an invite portal can wait out a zone outage.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2023-12-01' = {
  // checkov:skip=CKV_AZURE_222: The linked Static Web App reaches the API over the public endpoint; the app checks every admin call itself.
  // checkov:skip=CKV_AZURE_17: Guests' browsers reach the API through the Static Web App and present no client certificates.
  // checkov:skip=CKV_AZURE_212: Flex Consumption scales to zero on purpose; always-ready instances would cost money every hour.
  // checkov:skip=CKV_AZURE_213: Health-check pings would keep an instance running around the clock; deploy.sh checks /api/health instead.
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: 2048
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // The app settings: every one the code reads (shared/config/settings.py) that is not local-only and not a
      // Key Vault secret, plus what the platform needs. tests/test_infra.py keeps this list in step.
      appSettings: [
        // Host storage through the managed identity (no connection string, no keys).
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        {
          name: 'AzureWebJobsStorage__blobServiceUri'
          value: storageBlobEndpoint
        }
        {
          name: 'AzureWebJobsStorage__queueServiceUri'
          value: storageQueueEndpoint
        }
        {
          name: 'AzureWebJobsStorage__tableServiceUri'
          value: storageTableEndpoint
        }
        // DefaultAzureCredential picks the user-assigned identity by this client id.
        {
          name: 'AZURE_CLIENT_ID'
          value: identityClientId
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: applicationInsightsConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
        {
          name: 'KEY_VAULT_URL'
          value: keyVaultUri
        }
        {
          name: 'SECRET_CACHE_TTL_SECONDS'
          value: secretCacheTtlSeconds
        }
        {
          name: 'SITE_ORIGIN'
          value: siteOrigin
        }
        {
          name: 'ADMIN_USERNAME'
          value: adminUsername
        }
        {
          name: 'PLEX_SERVER_NAME'
          value: plexServerName
        }
        {
          name: 'PLEX_CLIENT_IDENTIFIER'
          value: plexClientIdentifier
        }
        {
          name: 'PLEX_PRODUCT'
          value: plexProduct
        }
        {
          name: 'PLEX_TIMEOUT_SECONDS'
          value: plexTimeoutSeconds
        }
        {
          name: 'SERVER_DISPLAY_NAME'
          value: serverDisplayName
        }
        {
          name: 'TABLE_PREFIX'
          value: tablePrefix
        }
        {
          name: 'RATE_LIMIT_INVITES_PER_MINUTE'
          value: protection.RATE_LIMIT_INVITES_PER_MINUTE
        }
        {
          name: 'RATE_LIMIT_INVITES_PER_HOUR'
          value: protection.RATE_LIMIT_INVITES_PER_HOUR
        }
        {
          name: 'RATE_LIMIT_API_PER_HOUR'
          value: protection.RATE_LIMIT_API_PER_HOUR
        }
        {
          name: 'RATE_LIMIT_API_PER_DAY'
          value: protection.RATE_LIMIT_API_PER_DAY
        }
        {
          name: 'RATE_LIMIT_INVITES_PER_IDENTIFIER_PER_DAY'
          value: protection.RATE_LIMIT_INVITES_PER_IDENTIFIER_PER_DAY
        }
        {
          name: 'TRUSTED_PROXY_HOPS'
          value: protection.TRUSTED_PROXY_HOPS
        }
        {
          name: 'IDEMPOTENCY_WINDOW_SECONDS'
          value: protection.IDEMPOTENCY_WINDOW_SECONDS
        }
        {
          name: 'PLEX_RETRY_BUDGET_SECONDS'
          value: protection.PLEX_RETRY_BUDGET_SECONDS
        }
        {
          name: 'INVITE_LOG_RETENTION_DAYS'
          value: inviteLogRetentionDays
        }
        {
          name: 'AUDIT_RETENTION_DAYS'
          value: auditRetentionDays
        }
        // Notifications: failed invites within this many seconds go out as one message...
        {
          name: 'NOTIFY_BURST_SECONDS'
          value: '60'
        }
        // ...and plex.tv must stay unreachable this long before the owner is told.
        {
          name: 'NOTIFY_UNREACHABLE_MINUTES'
          value: '15'
        }
        // Batch invitations: a new invite every 2 s at most, and a batch quiet for 5 minutes is put back on its queue.
        {
          name: 'BATCH_INVITE_PACE_SECONDS'
          value: '2'
        }
        {
          name: 'BATCH_STALL_SECONDS'
          value: '300'
        }
      ]
    }
  }
}

// No FTP and no basic-auth deployments: publishing uses Entra ID tokens.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
