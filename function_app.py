"""Azure Functions entry point: registers every HTTP blueprint. Importing it does no I/O."""

import logging

import azure.functions as func

from functions import (
    admin_access,
    admin_auth,
    admin_dashboard,
    admin_keys,
    admin_users,
    audit,
    batches,
    branding,
    expiry,
    guest,
    invites,
    maintenance,
    notify,
    plex_sign_in,
    site,
)

# The Azure SDKs log every storage and vault request at INFO; keep the logs to what matters.
logging.getLogger("azure").setLevel(logging.WARNING)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(invites.bp)
app.register_functions(plex_sign_in.bp)
app.register_functions(site.bp)
app.register_functions(admin_auth.bp)
app.register_functions(admin_dashboard.bp)
app.register_functions(admin_access.bp)
app.register_functions(admin_users.bp)
app.register_functions(expiry.bp)
app.register_functions(maintenance.bp)
app.register_functions(notify.bp)
app.register_functions(guest.bp)
app.register_functions(branding.bp)
app.register_functions(admin_keys.bp)
app.register_functions(audit.bp)
app.register_functions(batches.bp)
