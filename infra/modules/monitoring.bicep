// Log Analytics workspace and a workspace-based Application Insights that accepts only Entra ID ingestion.
param logAnalyticsName string
param applicationInsightsName string
param location string
param tags object
@description('Most GB the workspace ingests a day (a decimal as text, since Bicep has no decimals); -1: no cap.')
param dailyCapGb string

// Logs are billed per GB ingested, and requests answered 429 still log: the cap bounds what a flood can cost.
// Past it, ingestion stops until the daily reset, so the rest of that day's logs are lost.
// Application Insights is workspace-based, so its telemetry counts against this cap too.

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
    workspaceCapping: {
      dailyQuotaGb: json(dailyCapGb)
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // Telemetry must be sent with the app's managed identity, never with the instrumentation key alone.
    DisableLocalAuth: true
  }
}

output name string = appInsights.name
output connectionString string = appInsights.properties.ConnectionString
