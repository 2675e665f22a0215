"""Keeping the cache and the vendors in step: the puller (vendor → store), the replayer (outbox → vendor),
per-API health with a circuit breaker, and the merge rules. Depends on domain, store and connectors."""
