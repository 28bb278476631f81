"""Getting a report to people: Slack and the ledger of deliveries."""
