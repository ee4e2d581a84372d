"""What the tests share: constants, the local services they start, containers built for a test, the admin
HTTP client, the browser launch and polling. Test modules import from here, never from each other."""
