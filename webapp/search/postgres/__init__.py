"""The PostgreSQL full-text backend (the default on PostgreSQL): the only package with PostgreSQL search code."""
