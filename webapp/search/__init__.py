"""Full-text search: backend interface, Whoosh backend, outbox, rebuild and reconcile (DESIGN.md §4)."""
