// Parameters for infra/main.bicep. infra/deploy.sh (and azd) supply them through environment variables.
using './main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'helpr')
param location = readEnvironmentVariable('AZURE_LOCATION', 'westeurope')
param staticWebAppLocation = readEnvironmentVariable('HELPR_STATIC_WEB_APP_LOCATION', 'westeurope')
param plexServerName = readEnvironmentVariable('HELPR_PLEX_SERVER_NAME', '')
param serverDisplayName = readEnvironmentVariable('HELPR_SERVER_DISPLAY_NAME', '')
param adminUsername = readEnvironmentVariable('HELPR_ADMIN_USERNAME', 'admin')
param siteOrigin = readEnvironmentVariable('HELPR_SITE_ORIGIN', '')
param inviteLogRetentionDays = readEnvironmentVariable('HELPR_INVITE_LOG_RETENTION_DAYS', '365')
param auditRetentionDays = readEnvironmentVariable('HELPR_AUDIT_RETENTION_DAYS', '365')
param logDailyCapGb = readEnvironmentVariable('HELPR_LOG_DAILY_CAP_GB', '0.5')
param maximumInstanceCount = int(readEnvironmentVariable('HELPR_MAXIMUM_INSTANCE_COUNT', '40'))
param operatorPrincipalId = readEnvironmentVariable('AZURE_PRINCIPAL_ID', '')
param operatorPrincipalType = readEnvironmentVariable('AZURE_PRINCIPAL_TYPE', 'User')
