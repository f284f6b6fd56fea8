"""The people and the thread the cluster tests act with, created on a migrated database as an operator would
(flask migrate, flask seed) plus direct rows for accounts that are already verified."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.cluster.harness import PASSWORD, TOTP_SECRET, flask, node_env

MEMBERS = 8


@dataclass(frozen=True)
class World:
    members: tuple[str, ...]  # community members of a verified organisation, no second factor
    cleared: str  # restricted clearance, TOTP enrolled
    thread_id: int  # a community thread every member may post in
    organisation_id: int  # theirs (verified): a newcomer may register into it


def prepare(database_url: str, folder: Path) -> World:
    """Migrate and seed `database_url` through the CLI, then add the people and one thread."""
    env = node_env(folder / "instance", database_url, None)
    flask(env, "migrate")
    flask(env, "seed")

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from webapp.models import AccountStatus, Organisation, Tier, User, utcnow
    from webapp.models.post import Post
    from webapp.models.thread import Thread
    from webapp.sanitize import markdown_to_html
    from webapp.services import passwords

    engine = create_engine(database_url)
    with Session(engine) as db, db.begin():
        org = Organisation(name="Cluster Test Ministry", stakeholder_type_code="state", country="NL", verified=True)
        db.add(org)
        db.flush()
        password_hash = passwords.hash_password(PASSWORD)

        def person(email: str, **extra) -> User:
            user = User(name=email.split("@")[0].title(), email=email, password_hash=password_hash,
                        organisation_id=org.id, status=AccountStatus.ACTIVE, email_verified_at=utcnow(), **extra)
            db.add(user)
            return user

        members = [person(f"member{n}@cluster.example", clearance=Tier.COMMUNITY) for n in range(MEMBERS)]
        person("cleared@cluster.example", clearance=Tier.RESTRICTED, totp_secret=TOTP_SECRET,
               second_factor_enrolled_at=utcnow())
        db.flush()
        thread = Thread(title="Storm thread of the cluster test", tier=Tier.COMMUNITY, organisation_id=org.id,
                        author_id=members[0].id)
        db.add(thread)
        db.flush()
        db.add(Post(thread_id=thread.id, author_id=members[0].id, body_source="The first post.",
                    body_html=markdown_to_html("The first post.")))
        thread_id, emails, organisation_id = thread.id, tuple(m.email for m in members), org.id
    engine.dispose()
    return World(members=emails, cleared="cleared@cluster.example", thread_id=thread_id,
                 organisation_id=organisation_id)
