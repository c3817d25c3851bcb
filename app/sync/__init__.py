"""The history sync: a shop's past, read through its platform's ``HistorySource``, merged like webhooks."""
