"""Every change to agreements: publishing a version and accepting one."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from community.accounts.models import User
from community.admin.audit import AuditAction, record
from community.agreements import queries
from community.errors import Conflict, Invalid, NotFound
from community.extensions import db
from community.realtime import events as realtime_events
from community.realtime import revocation
from community.spaces.models import Acceptance, Agreement, Space
from community.text import normalize, render_markdown

TITLE_MIN, TITLE_MAX = 3, 200
BODY_MIN, BODY_MAX = 1, 50_000


def clean_agreement(title: str, body: str) -> tuple[str, str]:
    """Normalized title and Markdown body; raises Invalid naming every bad field."""
    title = " ".join(normalize(title).split())
    body = normalize(body)
    fields: dict[str, str] = {}
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        fields["title"] = _("Use %(min)d to %(max)d characters.", min=TITLE_MIN, max=TITLE_MAX)
    if not BODY_MIN <= len(body) <= BODY_MAX:
        fields["body"] = _("Use %(min)d to %(max)d characters.", min=BODY_MIN, max=BODY_MAX)
    if fields:
        raise Invalid(fields=fields)
    return title, body


def check_publish_agreement(*, space: Space | None, title: str, body: str,
                            acting_user: User) -> Agreement:
    """Publish the next version of the site agreement (space None) or a space's.

    Before the call the caller is authorized (admin for the site, facilitator for a
    space). The new version is current at once, so everyone must accept again before the
    gate lets them read on. The publisher is recorded as accepting the version they
    publish: writing and publishing the text is the strongest form of agreeing to it, and
    a facilitator would otherwise be locked out of their own space by their own edit.
    Audited as agreement:publish; records agreement.published (in the space, or in every
    space for the site agreement), and after the commit everyone else's live connections
    lose the space(s) until they accept (realtime revocation). Not idempotent: each call
    is a new version. Raises Invalid for bad fields and Conflict if someone else
    published the same version first.
    """
    title, body = clean_agreement(title, body)
    body_html = render_markdown(body)
    space_id = space.id if space is not None else None
    scope = Agreement.space_id.is_(None) if space_id is None else Agreement.space_id == space_id
    latest = db.session.scalar(sa.select(sa.func.max(Agreement.version)).where(scope)) or 0
    agreement = Agreement(space_id=space_id, version=latest + 1, title=title, body_source=body,
                          body_html=body_html, published_by_id=acting_user.id)
    try:
        with db.session.begin_nested():
            db.session.add(agreement)
    except IntegrityError as exc:  # another publisher took this version number
        raise Conflict(_("Someone else published a new version first. Reload and try again."),
                       code="agreement_conflict") from exc
    db.session.add(Acceptance(user_id=acting_user.id, agreement_id=agreement.id))
    record(AuditAction.AGREEMENT_PUBLISH, actor_id=acting_user.id, target_type="agreement",
           target_id=agreement.id, space_id=space_id, version=agreement.version, title=title)
    db.session.flush()
    if space_id is None:
        for each_space_id in db.session.scalars(sa.select(Space.id).where(
                Space.archived_at.is_(None))):
            realtime_events.record_agreement_published(each_space_id, agreement)
        revocation.revoke_site("agreement_required", except_user_id=acting_user.id)
    else:
        realtime_events.record_agreement_published(space_id, agreement)
        revocation.revoke_space(space_id, "agreement_required", except_user_id=acting_user.id)
    return agreement


def check_accept_agreement(user: User, *, space: Space | None, version: int) -> Acceptance:
    """Record that `user` accepts `version` of the site agreement or a space's.

    Before the call the user may accept it (any signed-in user for the site, an active
    member for a space). A space agreement needs the current site agreement accepted
    first (AgreementRequired). Raises NotFound when nothing is published, Conflict
    `agreement_outdated` (with `current_version`) for an earlier version, and Invalid for
    a version that never existed. Idempotent: accepting again returns the first acceptance.
    Not audited: the acceptance row is itself the record.
    """
    space_id = space.id if space is not None else None
    current = queries.get_current_agreement(space_id)
    if current is None:
        raise NotFound(_("No agreement has been published yet."))
    if space is not None:
        queries.require_accepted(user, None)
    if version != current.version:
        if queries.get_agreement_version(space_id, version) is None:
            raise Invalid(fields={"version": _("There is no such version.")},
                          current_version=current.version)
        raise Conflict(_("A newer version of the agreement has been published. Please read it."),
                       code="agreement_outdated", current_version=current.version)
    existing = queries.get_acceptance(user, current)
    if existing is not None:
        return existing
    acceptance = Acceptance(user_id=user.id, agreement_id=current.id)
    try:
        with db.session.begin_nested():
            db.session.add(acceptance)
    except IntegrityError:  # the same user accepted in a parallel request
        found = queries.get_acceptance(user, current)
        if found is None:
            raise
        return found
    return acceptance
