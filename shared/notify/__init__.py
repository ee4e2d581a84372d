"""Notifications for the owner: events put on a Storage Queue by the request that causes them, delivered
by a queue-triggered function to the owner's channels through Apprise."""
