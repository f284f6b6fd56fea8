"""Covering indexes for search's database check: every search asks the read rules about up to thousands of
candidate ids, which must not mean reading thousands of wide rows (DESIGN.md §4)."""
from __future__ import annotations

from sqlalchemy import Index

from webapp.models.post import Post
from webapp.models.submission import Submission

# The read rule's columns first (what search's id checks and the browse counts filter on), then the columns the
# browse counts group by: SQLite picks this index for the tier range, and without them it read every wide row
# (unfiltered archive page p95 501 ms; with them, each count is an index-only scan).
SUBMISSIONS_SEARCH_ACCESS = Index(
    "ix_submissions_search_access",
    Submission.status,
    Submission.tier,
    Submission.sharing_group_id,
    Submission.author_organisation_id,
    Submission.author_id,
    Submission.kind,
    Submission.lifecycle_stage,
    Submission.published_at,
    Submission.chatham_house,
)
POSTS_SEARCH_ACCESS = Index("ix_dialogue_posts_search_access", Post.thread_id, Post.deleted_at, Post.hidden_at)
