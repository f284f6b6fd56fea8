"""The audit log in words: each action the services record, as a sentence for people and a label for the filter.

A sentence has two placeholders, %(actor)s and %(object)s, filled by the page with what the reader may see (the
policy in webapp/policy/audit.py decides: a hidden actor reads "a participant", an unreadable object only its kind).
Actions without a sentence here fall back to their code, so nothing is ever dropped from the log.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

# Reads (the access log) are told apart from changes by this suffix of their action code.
READ_SUFFIX = ".read"

PHRASES = {
    "submission.created": _l("%(actor)s started the draft %(object)s"),
    "submission.edited": _l("%(actor)s edited %(object)s"),
    "submission.submitted": _l("%(actor)s submitted %(object)s for review"),
    "submission.published": _l("%(actor)s published %(object)s"),
    "submission.returned": _l("%(actor)s returned %(object)s with comments"),
    "submission.withdrawn": _l("%(actor)s withdrew %(object)s"),
    "submission.archived": _l("%(actor)s retired %(object)s"),
    "submission.tier_changed": _l("%(actor)s changed the access tier of %(object)s"),
    "submission.declassified": _l("%(actor)s declassified %(object)s"),
    "submission.declassification_proposed": _l("%(actor)s proposed to lower the tier of %(object)s"),
    "submission.revision_proposed": _l("%(actor)s proposed a revision of %(object)s"),
    "submission.revision_published": _l("%(actor)s published a revision of %(object)s"),
    "submission.revision_returned": _l("%(actor)s returned a revision of %(object)s"),
    "submission.translation_proposed": _l("%(actor)s proposed a translation of %(object)s"),
    "submission.translation_published": _l("%(actor)s published a translation of %(object)s"),
    "submission.translation_returned": _l("%(actor)s returned a translation of %(object)s"),
    "submission.synthesis_published": _l("%(actor)s published the outcome synthesis %(object)s"),
    "submission.superseded": _l("%(actor)s replaced %(object)s with a newer version"),
    "submission.read": _l("%(actor)s read %(object)s"),
    "round.created": _l("%(actor)s created the round %(object)s"),
    "round.updated": _l("%(actor)s edited the round %(object)s"),
    "round.opened": _l("%(actor)s opened the round %(object)s"),
    "round.closed": _l("%(actor)s closed the round %(object)s"),
    "round.concluded": _l("%(actor)s concluded the round %(object)s"),
    "dialogue_round.read": _l("%(actor)s read the round %(object)s"),
    "thread.created": _l("%(actor)s started the thread %(object)s"),
    "thread.locked": _l("%(actor)s locked the thread %(object)s"),
    "thread.unlocked": _l("%(actor)s unlocked the thread %(object)s"),
    "thread.pinned": _l("%(actor)s pinned the thread %(object)s"),
    "thread.unpinned": _l("%(actor)s unpinned the thread %(object)s"),
    "thread.moved": _l("%(actor)s moved the thread %(object)s"),
    "dialogue_thread.read": _l("%(actor)s read the thread %(object)s"),
    "post.created": _l("%(actor)s wrote %(object)s"),
    "post.edited": _l("%(actor)s edited %(object)s"),
    "post.deleted": _l("%(actor)s deleted %(object)s"),
    "post.flagged": _l("%(actor)s flagged %(object)s"),
    "post.flags_dismissed": _l("%(actor)s dismissed the flags on %(object)s"),
    "post.hidden": _l("%(actor)s hid %(object)s"),
    "post.unhidden": _l("%(actor)s showed %(object)s again"),
    "dialogue_post.read": _l("%(actor)s read %(object)s"),
    "user.registered": _l("%(actor)s registered as %(object)s"),
    "user.verified": _l("%(actor)s verified the account of %(object)s"),
    "user.refused": _l("%(actor)s refused the registration of %(object)s"),
    "user.roles_changed": _l("%(actor)s changed the roles of %(object)s"),
    "user.clearance_changed": _l("%(actor)s changed the clearance of %(object)s"),
    "user.deactivated": _l("%(actor)s deactivated the account of %(object)s"),
    "user.reactivated": _l("%(actor)s reactivated the account of %(object)s"),
    "user.password_changed": _l("%(actor)s changed the password of %(object)s"),
    "auth.signed_in": _l("%(actor)s signed in"),
    "auth.signed_out": _l("%(actor)s signed out"),
    "auth.sign_in_failed": _l("A sign-in as %(object)s failed"),
    "organisation.proposed": _l("%(actor)s proposed the organisation %(object)s"),
    "organisation.verified": _l("%(actor)s verified the organisation %(object)s"),
    "organisation.edited": _l("%(actor)s edited the organisation %(object)s"),
    "group.created": _l("%(actor)s created the sharing group %(object)s"),
    "group.user_added": _l("%(actor)s added a person to the sharing group %(object)s"),
    "group.user_removed": _l("%(actor)s removed a person from the sharing group %(object)s"),
    "group.organisation_added": _l("%(actor)s added an organisation to the sharing group %(object)s"),
    "group.organisation_removed": _l("%(actor)s removed an organisation from the sharing group %(object)s"),
    "watch.added": _l("%(actor)s started following %(object)s"),
    "watch.removed": _l("%(actor)s stopped following %(object)s"),
    "clearance.proposed": _l("%(actor)s proposed a clearance for %(object)s"),
    "clearance.granted": _l("%(actor)s granted a clearance to %(object)s"),
    "clearance.declined": _l("%(actor)s declined a clearance for %(object)s"),
    "erasure_request.opened": _l("%(actor)s asked an organisation to delete an erased person's contributions"),
    "erasure_request.agreed": _l("%(actor)s agreed, for the organisation, to delete an erased person's "
                                 "contributions"),
    "erasure_request.declined": _l("%(actor)s declined, for the organisation, to delete an erased person's "
                                   "contributions"),
}
FALLBACK = _l("%(actor)s: %(action)s, %(object)s")

# What an object is called when the reader may not see its title.
KIND_NAMES = {
    "submission": _l("an archive item"),
    "dialogue_round": _l("a dialogue round"),
    "round": _l("a dialogue round"),
    "dialogue_thread": _l("a thread"),
    "thread": _l("a thread"),
    "dialogue_post": _l("a post"),
    "user": _l("an account"),
    "organisation": _l("an organisation"),
    "sharing_group": _l("a sharing group"),
    "paragraph": _l("a Call paragraph"),
}
SOMETHING = _l("something")


def is_read(action: str) -> bool:
    """Whether an action records a read (the access log) rather than a change."""
    return action.endswith(READ_SUFFIX)


def sentence(row) -> Markup:
    """One audit row as a sentence, with links to the actor and the object where the reader may follow them."""
    from flask import url_for  # a request is needed to build links; the module itself stays importable anywhere

    event = row.event
    if not row.access.actor_shown:
        actor = escape(_l("A participant"))
    elif event.actor is None:
        actor = escape(_l("The system"))
    else:
        actor = Markup('<a href="%s">%s</a>') % (url_for("admin.user", user_id=event.actor.id), event.actor.name)
    label = row.object_label or str(KIND_NAMES.get(event.object_type, SOMETHING))
    if row.object_url:
        thing = Markup('<a href="%s">%s</a>') % (row.object_url, label)
    else:
        thing = escape(label)
    phrase = PHRASES.get(event.action)
    # Catalogues are trusted: the phrase is markup; the pieces are escaped above.
    if phrase is None:
        text = Markup(str(FALLBACK)) % {"actor": actor, "action": event.action, "object": thing}
    else:
        text = Markup(str(phrase)) % {"actor": actor, "object": thing}
    return text
