"""Covering indexes for search's database check: every search asks the read rules about up to thousands of
candidate ids, which must not mean reading thousands of wide rows (DESIGN.md §4)."""
from __future__ import annotations

from sqlalchemy import Index

from webapp.models.post import Post
from webapp.models.submission import Submission

SUBMISSIONS_SEARCH_ACCESS = Index(
    "ix_submissions_search_access",
    Submission.status,
    Submission.tier,
    Submission.sharing_group_id,
    Submission.author_organisation_id,
    Submission.author_id,
)
POSTS_SEARCH_ACCESS = Index("ix_dialogue_posts_search_access", Post.thread_id, Post.deleted_at, Post.hidden_at)
