"""Counts and facets cached per audience class and data generation (issue 15; DESIGN.md "Counts cached by
audience"). generation.py: the one row every content write bumps inside its own transaction; cache.py: the cache
(in-process LRU, or Redis when configured) and `cached()`, the one way a count is read through it."""
