"""Dialogue rounds, threads and posts as search sources.

Chatham House: author names are never indexed for anything; threads and posts of Chatham House rounds carry no
stakeholder type or country either, and a hit shows its author only when the dialogue policy's
`author_visible_to` allows it. Deleted and hidden posts are not indexed, and are excluded in the database on
every search (so hiding takes effect before the index catches up).
"""
from __future__ import annotations

from sqlalchemy.orm import joinedload, selectinload

from webapp.models import DialogueRound, Post, Thread, User
from webapp.policy import Viewer
from webapp.policy.dialogue import author_visible_to
from webapp.search import sources
from webapp.search.backend import DocInfo, Document
from webapp.search.links import link


def _epoch(value) -> int:
    return int(value.timestamp()) if value is not None else 0


def _people(author: User | None, chatham_house: bool) -> tuple[str, str]:
    """(stakeholder type, country) of the author's organisation — nothing in Chatham House rounds."""
    if chatham_house or author is None or author.organisation is None:
        return "", ""
    return author.organisation.stakeholder_type_code, author.organisation.country


def _byline(viewer: Viewer, item, author: User | None) -> str | None:
    from flask_babel import gettext as _
    from sqlalchemy.orm import object_session

    from webapp.queries_dialogue.pseudonyms import pseudonym_of

    letter = pseudonym_of(object_session(item), item) if author is not None else None
    if author is None or not author_visible_to(viewer, item):
        return _("Participant %(letter)s", letter=letter) if letter else None
    if letter:
        return f"{author.name}, {author.organisation.name} ({_('Participant %(letter)s', letter=letter)})"
    organisation = author.organisation.name if author.organisation is not None else ""
    return f"{author.name}, {organisation}" if organisation else author.name


# ---------------------------------------------------------------- rounds


def _round_options():
    return (selectinload(DialogueRound.paragraphs), selectinload(DialogueRound.facilitators))


def round_document(round_: DialogueRound) -> Document:
    """A round: its title and guiding questions (the synthesis is a submission of its own)."""
    info = DocInfo(
        key=f"round:{round_.id}", kind="round", date=_epoch(round_.opens_at), tier=int(round_.tier),
        group_id=round_.sharing_group_id, organisation_id=round_.organisation_id,
        paragraphs=tuple(p.number for p in round_.paragraphs), round_id=round_.id,
    )
    return Document(info=info, title=round_.title, body=round_.questions_source or "")


def present_round(round_: DialogueRound, viewer: Viewer) -> sources.Presented:
    return sources.Presented(
        title=round_.title, url=link("dialogue.round", f"/dialogue/rounds/{round_.id}", round_id=round_.id),
        kind="round", tier=round_.tier, date=round_.opens_at, byline=None, text=round_.questions_source or "",
    )


# ---------------------------------------------------------------- threads


def _thread_options():
    return (
        selectinload(Thread.paragraphs),
        joinedload(Thread.round).selectinload(DialogueRound.paragraphs),
        joinedload(Thread.round).selectinload(DialogueRound.facilitators),
        joinedload(Thread.author),
    )


def _thread_paragraphs(thread: Thread) -> tuple[int, ...]:
    paragraphs = thread.paragraphs or (thread.round.paragraphs if thread.round is not None else [])
    return tuple(p.number for p in paragraphs)


def _chatham(thread: Thread) -> bool:
    return thread.round is not None and thread.round.chatham_house


def thread_document(thread: Thread) -> Document:
    """A thread: its title (its posts are documents of their own)."""
    stakeholder, country = _people(thread.author, _chatham(thread))
    info = DocInfo(
        key=f"thread:{thread.id}", kind="thread", date=_epoch(thread.created_at), tier=int(thread.tier),
        group_id=thread.sharing_group_id, organisation_id=thread.organisation_id,
        paragraphs=_thread_paragraphs(thread), stakeholder=stakeholder, country=country, round_id=thread.round_id,
    )
    return Document(info=info, title=thread.title, body="")


def present_thread(thread: Thread, viewer: Viewer) -> sources.Presented:
    return sources.Presented(
        title=thread.title, url=link("dialogue.thread", f"/dialogue/threads/{thread.id}", thread_id=thread.id),
        kind="thread", tier=thread.tier, date=thread.created_at, byline=_byline(viewer, thread, thread.author),
        text=thread.title, context=thread.round.title if thread.round is not None else "",
    )


# ---------------------------------------------------------------- posts


def _post_options():
    return (
        joinedload(Post.author),
        joinedload(Post.thread).selectinload(Thread.paragraphs),
        joinedload(Post.thread).joinedload(Thread.round).selectinload(DialogueRound.paragraphs),
        joinedload(Post.thread).joinedload(Thread.round).selectinload(DialogueRound.facilitators),
    )


def post_document(post: Post) -> Document | None:
    """A post's own text; None (removed from the index) once deleted or hidden."""
    if post.is_deleted or post.is_hidden:
        return None
    thread = post.thread
    stakeholder, country = _people(post.author, _chatham(thread))
    info = DocInfo(
        key=f"post:{post.id}", kind="post", date=_epoch(post.created_at), tier=int(thread.tier),
        group_id=thread.sharing_group_id, organisation_id=thread.organisation_id,
        paragraphs=_thread_paragraphs(thread), stakeholder=stakeholder, country=country, round_id=thread.round_id,
    )
    return Document(info=info, title="", body=post.body_source or "")


def present_post(post: Post, viewer: Viewer) -> sources.Presented:
    thread = post.thread
    return sources.Presented(
        title=thread.title,
        # The permalink: it opens the thread's page that holds the post (threads paginate).
        url=link("dialogue.permalink", f"/dialogue/posts/{post.id}", post_id=post.id),
        kind="post", tier=thread.tier, date=post.created_at, byline=_byline(viewer, post, post.author),
        text=post.body_source or "", context=thread.round.title if thread.round is not None else "",
    )


def _post_searchable():
    return Post.deleted_at.is_(None) & Post.hidden_at.is_(None)


sources.register(sources.Source("round", DialogueRound, _round_options, round_document, present_round, ("round",)))
sources.register(sources.Source("thread", Thread, _thread_options, thread_document, present_thread, ("thread",)))
sources.register(
    sources.Source("post", Post, _post_options, post_document, present_post, ("post",), searchable=_post_searchable)
)
