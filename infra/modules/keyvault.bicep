// The vault that holds the app's secrets. Access is by Azure RBAC only; the secret values are put in
// by the operator (infra/deploy.sh), never by this template.
param name string
param location string
param tags object

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: Without a virtual network the function app calls from changing public addresses and is not a trusted service; RBAC with the app's identity guards the vault.
  // checkov:skip=CKV_AZURE_189: Same as CKV_AZURE_109: a private endpoint needs a virtual network, which costs money every hour.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForTemplateDeployment: false
    enabledForDiskEncryption: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
