"""The flow simulator: run one flow on a virtual clock for a synthetic or real shopper, send nothing,
keep nothing, and show the timeline of what would be sent, deferred and skipped, and why."""
