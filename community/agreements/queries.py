"""Reads about agreements, and the gate that keeps content behind them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from community.accounts.models import User
from community.errors import AgreementRequired
from community.extensions import db
from community.spaces.models import Acceptance, Agreement, Membership, MembershipState, Space


def _scope(space_id: int | None) -> sa.ColumnElement[bool]:
    return Agreement.space_id.is_(None) if space_id is None else Agreement.space_id == space_id


def get_current_agreement(space_id: int | None) -> Agreement | None:
    """The newest version for the site (None) or a space; None when none is published."""
    return db.session.scalar(sa.select(Agreement).where(_scope(space_id))
                             .order_by(Agreement.version.desc()).limit(1))


def get_agreement_version(space_id: int | None, version: int) -> Agreement | None:
    return db.session.scalar(sa.select(Agreement).where(_scope(space_id),
                                                        Agreement.version == version))


def list_versions(space_id: int | None) -> list[Agreement]:
    return list(db.session.scalars(sa.select(Agreement).where(_scope(space_id))
                                   .order_by(Agreement.version.desc())))


def has_accepted(user: User, agreement: Agreement | None) -> bool:
    if agreement is None:
        return True
    return db.session.scalar(sa.select(Acceptance.id).where(
        Acceptance.user_id == user.id, Acceptance.agreement_id == agreement.id)) is not None


def get_acceptance(user: User, agreement: Agreement) -> Acceptance | None:
    return db.session.scalar(sa.select(Acceptance).where(
        Acceptance.user_id == user.id, Acceptance.agreement_id == agreement.id))


def _newest_id(scope: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
    return (sa.select(Agreement.id).where(scope).order_by(Agreement.version.desc()).limit(1)
            .correlate_except(Agreement).scalar_subquery())


def gate_columns(space_id: sa.ColumnElement[int] | None, user_id: sa.ColumnElement[int]
                 ) -> list[sa.Label[int | None]]:
    """The gate as two columns, for the gate's own statement and for a statement that
    reads it together with other things (a queue action's item): the id of the current
    site agreement and of the current agreement of the space `space_id` (a column or a
    bind parameter; None: no space), each NULL unless published and not accepted by
    `user_id`."""
    scopes = [("unaccepted_site_agreement", Agreement.space_id.is_(None))]
    if space_id is not None:
        scopes.append(("unaccepted_space_agreement", Agreement.space_id == space_id))
    columns = []
    for name, scope in scopes:
        accepted = sa.exists().where(Acceptance.agreement_id == Agreement.id,
                                     Acceptance.user_id == user_id)
        columns.append(sa.select(Agreement.id).where(Agreement.id == _newest_id(scope), ~accepted)
                       .correlate_except(Agreement, Acceptance).scalar_subquery().label(name))
    return columns


# The gate's statement is built once (with and without a space): building it and its cache
# key on every request cost more than running it.
_GATE = {with_space: sa.select(*gate_columns(
    sa.bindparam("space_id", type_=sa.Integer) if with_space else None,
    sa.bindparam("user_id", type_=sa.Integer))) for with_space in (False, True)}


def missing_agreement(user: User, space: Space | None, *,
                      unaccepted: tuple[int | None, ...] | None = None) -> Agreement | None:
    """The first current agreement (site, then space) the user has not accepted.

    One query of ids (`gate_columns`): it runs on every request for a space's content.
    `unaccepted`: those columns when already read with something else. The agreement
    itself is loaded only when one is missing.
    """
    if unaccepted is None:
        params = {"user_id": user.id} if space is None else {"user_id": user.id,
                                                              "space_id": space.id}
        unaccepted = tuple(db.session.execute(_GATE[space is not None], params).one())
    first = next((agreement_id for agreement_id in unaccepted if agreement_id is not None),
                 None)
    return db.session.get(Agreement, first) if first is not None else None


def require_accepted(user: User, space: Space | None, *,
                     unaccepted: tuple[int | None, ...] | None = None) -> None:
    """The gate: raise AgreementRequired unless the current site and space versions are
    accepted (`unaccepted`: `gate_columns` read with something else)."""
    missing = missing_agreement(user, space, unaccepted=unaccepted)
    if missing is None:
        return
    if missing.space_id is None:
        api_url = url_for("api_agreements.site_agreement")
        html_url = url_for("agreements.site", next=_next_path())
    else:
        api_url = url_for("api_agreements.space_agreement", space_id=missing.space_id)
        html_url = url_for("agreements.space", space_id=missing.space_id, next=_next_path())
    raise AgreementRequired(api_url, html_url)


def _next_path() -> str | None:
    from flask import has_request_context, request

    if has_request_context() and request.method == "GET" and not request.path.startswith("/api/"):
        return request.full_path.rstrip("?")
    return None


def acceptance_status(space: Space) -> list[tuple[int, bool]]:
    """(membership id, accepted current space version) for every active member."""
    from community.spaces.queries import list_members

    current = get_current_agreement(space.id)
    accepted: set[int] = set()
    if current is not None:
        accepted = set(db.session.scalars(sa.select(Acceptance.user_id).where(
            Acceptance.agreement_id == current.id)))
    return [(m.id, current is None or m.user_id in accepted) for m in list_members(space)]


def list_versions_page(space_id: int | None, *, before: int | None = None,
                       limit: int = 50) -> tuple[list[Agreement], int | None]:
    """Versions newest first, `limit` at a time; the second value is the next `before`."""
    query = sa.select(Agreement).where(_scope(space_id))
    if before is not None:
        query = query.where(Agreement.version < before)
    rows = list(db.session.scalars(query.order_by(Agreement.version.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].version if more and rows else None)


def list_acceptances(space: Space, agreement: Agreement | None, *, after_id: int | None = None,
                     limit: int | None = None) -> list[tuple[Membership, Acceptance | None]]:
    """Every active membership with its acceptance of `agreement` (None: not accepted).

    Ordered by membership id, so that `after_id` pages through a large roster. With no
    agreement published nobody has anything to accept, and every acceptance is None.
    """
    agreement_id = agreement.id if agreement is not None else -1
    query = (sa.select(Membership, Acceptance)
             .outerjoin(Acceptance, sa.and_(Acceptance.user_id == Membership.user_id,
                                            Acceptance.agreement_id == agreement_id))
             .where(Membership.space_id == space.id,
                    Membership.state == MembershipState.ACTIVE)
             .order_by(Membership.id))
    if after_id is not None:
        query = query.where(Membership.id > after_id)
    if limit is not None:
        query = query.limit(limit)
    return [(m, a) for m, a in db.session.execute(query)]
