"""Loading seeds/: reference data (idempotent), the first admin, and an optional demo world."""
from __future__ import annotations

import json
import secrets
from pathlib import Path

import pyotp
from sqlalchemy import select

from flask_babel import lazy_gettext as _l

from webapp.config import PROJECT_ROOT
from webapp.db import unit_of_work
from webapp.models import AccountStatus, CallParagraph, Organisation, SharingGroup, StakeholderType, Tier, User, utcnow
from webapp.services import Conflict
from webapp.services.audit import record
from webapp.services.passwords import hash_password

SEEDS = PROJECT_ROOT / "seeds"
SECRETARIAT = "REAIM Exchange secretariat"


def _load(name: str) -> dict:
    return json.loads((SEEDS / name).read_text(encoding="utf-8"))


def load_reference_data(seeds: Path = SEEDS) -> int:
    """Upsert stakeholder types and the Call's paragraphs; returns how many rows changed."""
    changed = 0
    with unit_of_work() as db:
        for position, row in enumerate(json.loads((seeds / "stakeholder_types.json").read_text())["stakeholder_types"]):
            existing = db.get(StakeholderType, row["code"])
            values = {"label": row["label"], "description": row["description"], "position": position}
            if existing is None:
                db.add(StakeholderType(code=row["code"], **values))
                changed += 1
            elif any(getattr(existing, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(existing, key, value)
                changed += 1
        db.flush()
        for row in json.loads((seeds / "call_paragraphs.json").read_text())["paragraphs"]:
            existing = db.get(CallParagraph, row["number"])
            values = {"title": row["title"], "text": row["text"], "featured": row["featured"]}
            if existing is None:
                db.add(CallParagraph(number=row["number"], **values))
                changed += 1
            elif any(getattr(existing, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(existing, key, value)
                changed += 1
        if changed:
            record(db, None, "seed.reference_data", "seed", None, changed=changed)
    return changed


def _secretariat(db) -> Organisation:
    organisation = db.scalar(select(Organisation).where(Organisation.name == SECRETARIAT))
    if organisation is None:
        organisation = Organisation(
            name=SECRETARIAT, stakeholder_type_code="international_organisation", country="NL", verified=True
        )
        db.add(organisation)
        db.flush()
    return organisation


def ensure_first_admin(email: str = "admin@reaim-exchange.local") -> tuple[str, str] | None:
    """Create the first admin with a generated password when there is no admin; returns (email, password) once."""
    email = email.strip().lower()
    with unit_of_work() as db:
        if db.scalar(select(User.id).where(User.is_admin.is_(True)).limit(1)) is not None:
            return None
        if db.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict(
                _l("%(email)s already has an account: choose another e-mail address for the administrator.", email=email)
            )
        password = secrets.token_urlsafe(18)
        user = User(
            name="Platform administrator",
            email=email,
            password_hash=hash_password(password),
            organisation=_secretariat(db),
            status=AccountStatus.ACTIVE,
            is_admin=True,
            clearance=Tier.COMMUNITY,
            email_verified_at=utcnow(),  # created by the operator; admin powers wait for a second factor
        )
        db.add(user)
        db.flush()
        record(db, None, "user.first_admin_created", "user", user.id)
    return email, password


def load_demo_world() -> list[tuple[str, str, str, str]]:
    """Add the demo organisations, groups and users that are not there yet; returns (email, role, password,
    TOTP secret or "") of new users. Personas whose clearance or role needs a second factor are enrolled here, so
    that they (and the demo archive published in their name) work at once; the secret goes into an authenticator
    app (or `python -c "import pyotp; print(pyotp.TOTP('SECRET').now())"`)."""
    world = _load("demo_world.json")
    created: list[tuple[str, str, str, str]] = []
    with unit_of_work() as db:
        organisations = {org.name: org for org in db.scalars(select(Organisation))}
        organisations.setdefault(SECRETARIAT, _secretariat(db))
        for row in world["organisations"]:
            if row["name"] not in organisations:
                organisation = Organisation(
                    name=row["name"], stakeholder_type_code=row["stakeholder_type"], country=row["country"], verified=True
                )
                db.add(organisation)
                organisations[row["name"]] = organisation
        db.flush()
        for row in world["sharing_groups"]:
            if db.scalar(select(SharingGroup).where(SharingGroup.name == row["name"])) is None:
                group = SharingGroup(name=row["name"], description=row["description"])
                group.organisations = [organisations[name] for name in row["organisations"]]
                db.add(group)
        for row in world["users"]:
            if db.scalar(select(User.id).where(User.email == row["email"])) is not None:
                continue
            password = secrets.token_urlsafe(12)
            persona = User(
                    name=row["name"],
                    email=row["email"],
                    password_hash=hash_password(password),
                    organisation=organisations[row["organisation"]],
                    status=AccountStatus(row.get("status", "active")),
                    is_facilitator="facilitator" in row["roles"],
                    is_admin="admin" in row["roles"],
                    clearance=Tier.from_code(row["clearance"]),
                    email_verified_at=utcnow(),
                )
            if persona.requires_second_factor:
                persona.totp_secret, persona.second_factor_enrolled_at = pyotp.random_base32(), utcnow()
            db.add(persona)
            created.append((row["email"], ", ".join(["member", *row["roles"]]) + f"; {row['clearance']}", password,
                            persona.totp_secret or ""))
        if created:
            record(db, None, "seed.demo_world", "seed", None, users=len(created))
    return created
