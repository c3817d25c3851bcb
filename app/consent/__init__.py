"""Marketing consent: the ledger of every change, and its exports."""
