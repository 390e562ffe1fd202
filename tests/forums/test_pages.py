"""Forum pages: who may open them, forms that write through the same actions, read state."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import sqlalchemy as sa

from community.extensions import db
from community.forums.models import Post, PostState, Thread
from tests import factories
from tests.forums.conftest import hold, reply, start_thread


def page_urls(space, thread, post, membership_id):  # type: ignore[no-untyped-def]
    return [f"/spaces/{space.id}/threads", f"/spaces/{space.id}/threads/new",
            f"/threads/{thread.id}", f"/posts/{post.id}", f"/posts/{post.id}/edit",
            f"/posts/{post.id}/remove", f"/posts/{post.id}/history",
            f"/spaces/{space.id}/search?q=lost",
            f"/spaces/{space.id}/members/{membership_id}/posts"]


def test_members_open_every_forum_page(space, member, facilitator, as_user):
    thread, post = start_thread(space, member)
    for url in page_urls(space, thread, post, post.author_id):
        found = HTTPStatus.FOUND if url == f"/posts/{post.id}" else HTTPStatus.OK
        expected = HTTPStatus.FORBIDDEN if url.endswith("/history") else found
        response = as_user(member).get(url)
        assert response.status_code == expected, url
        assert as_user(facilitator).get(url).status_code == found, url


def test_outsiders_admins_and_other_spaces_get_404_pages(space, member, admin, outsider,
                                                         as_user):
    thread, post = start_thread(space, member)
    elsewhere = factories.make_user(display_name="Elsa Elsewhere")
    factories.make_space(name="Other space", members=[elsewhere])
    for user in (outsider, admin, elsewhere):
        for url in page_urls(space, thread, post, post.author_id):
            assert as_user(user).get(url).status_code == HTTPStatus.NOT_FOUND, url
        assert as_user(user).post(f"/threads/{thread.id}/posts",
                                  data={"body": "sneaky"}).status_code == HTTPStatus.NOT_FOUND
    assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 1


def test_pages_send_a_member_to_a_new_agreement_first(space, member, facilitator, as_user):
    thread, _ = start_thread(space, member)
    factories.make_agreement(space=space, title="Version 2", accepted_by=[facilitator])
    response = as_user(member).get(f"/threads/{thread.id}")
    assert response.status_code == HTTPStatus.FOUND
    assert f"/agreements/spaces/{space.id}" in response.headers["Location"]


def test_anonymous_visitors_are_sent_to_sign_in(space, member, client):
    thread, _ = start_thread(space, member)
    response = client.get(f"/threads/{thread.id}")
    assert response.status_code == HTTPStatus.FOUND
    assert "sign" in response.headers["Location"]


def test_starting_a_thread_from_the_form(space, member, as_user):
    client = as_user(member)
    response = client.post(f"/spaces/{space.id}/threads/new",
                           data={"title": "Gap year?", "body": "Is a *gap year* wise?"})
    assert response.status_code == HTTPStatus.FOUND
    thread = db.session.scalar(sa.select(Thread))
    assert response.headers["Location"].endswith(f"/threads/{thread.id}")
    page = client.get(response.headers["Location"])
    assert "<em>gap year</em>" in page.text and "Gap year?" in page.text


def test_a_bad_form_shows_errors_next_to_the_fields_and_writes_nothing(space, member, as_user):
    response = as_user(member).post(f"/spaces/{space.id}/threads/new",
                                    data={"title": "ab", "body": "fine"})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert 'id="title-error"' in response.text
    assert db.session.scalar(sa.select(sa.func.count(Thread.id))) == 0


def test_members_cannot_start_announcements_through_the_form(space, member, as_user):
    response = as_user(member).post(f"/spaces/{space.id}/threads/new",
                                    data={"title": "Big news", "body": "x",
                                          "kind": "announcement"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert db.session.scalar(sa.select(sa.func.count(Thread.id))) == 0


def test_replying_quoting_and_the_new_since_last_visit_marker(space, member, other_member,
                                                              thread, as_user):
    first = db.session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    kit = as_user(other_member)
    quoted = kit.get(f"/threads/{thread.id}?quote={first.id}")
    assert "Robin wrote:" in quoted.text and "&gt; I finished school" in quoted.text
    response = kit.post(f"/threads/{thread.id}/posts",
                        data={"body": "Robin wrote:\n\n> lost\n\nMe too", "quote_of_id": first.id})
    assert response.status_code == HTTPStatus.FOUND
    mine = db.session.scalar(sa.select(Post).order_by(Post.id.desc()))
    assert mine.quote_of_id == first.id and "<blockquote>" in mine.body_html
    reply(thread, member, "A newer reply")
    page = kit.get(f"/threads/{thread.id}")
    assert "New since your last visit" in page.text
    assert page.text.index("New since your last visit") < page.text.index("A newer reply")
    assert "New since your last visit" not in kit.get(f"/threads/{thread.id}").text


def test_the_thread_list_marks_new_threads(space, member, other_member, thread, as_user):
    kit = as_user(other_member)
    assert 'class="badge new"' in kit.get(f"/spaces/{space.id}/threads").text
    kit.get(f"/threads/{thread.id}")
    assert 'class="badge new"' not in kit.get(f"/spaces/{space.id}/threads").text


def test_removed_and_held_posts_on_the_page(space, member, other_member, facilitator, thread,
                                            as_user):
    removed = reply(thread, other_member, "Regrettable words")
    as_user(other_member).post(f"/posts/{removed.id}/remove", data={"reason": ""})
    held = hold(reply(thread, other_member, "Waiting words"))
    robin = as_user(member).get(f"/threads/{thread.id}").text
    assert "Removed by the author." in robin
    assert "Regrettable" not in robin and "Waiting words" not in robin
    frida = as_user(facilitator).get(f"/threads/{thread.id}").text
    assert "Regrettable words" in frida and "Waiting words" in frida
    assert "Waiting words" in as_user(other_member).get(f"/threads/{thread.id}").text
    assert held.state == PostState.PENDING


def test_editing_through_the_form_keeps_history_for_facilitators(space, member, facilitator,
                                                                thread, as_user):
    post = db.session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    assert "I finished school" in as_user(member).get(f"/posts/{post.id}/edit").text
    response = as_user(member).post(f"/posts/{post.id}/edit",
                                    data={"body": "Now I know", "reason": "update"})
    assert response.status_code == HTTPStatus.FOUND
    history = as_user(facilitator).get(f"/posts/{post.id}/history")
    assert "I finished school and feel lost." in history.text and "update" in history.text
    assert as_user(member).get(f"/posts/{post.id}/history").status_code == HTTPStatus.FORBIDDEN


def test_facilitators_change_thread_settings_from_the_page(space, member, facilitator, thread,
                                                          as_user):
    assert as_user(member).post(f"/threads/{thread.id}/settings",
                                data={"title": "Hijack", "pinned": "y"}).status_code == \
        HTTPStatus.FORBIDDEN
    response = as_user(facilitator).post(f"/threads/{thread.id}/settings",
                                         data={"title": "Starting out", "pinned": "y",
                                               "replies_allowed": "y"})
    assert response.status_code == HTTPStatus.FOUND
    db.session.refresh(thread)
    assert thread.pinned and thread.title == "Starting out" and not thread.locked


def test_search_page_and_mentions_page(space, member, other_member, thread, as_user):
    post = reply(thread, member, "Ask @Kit about carpentry")
    kit = as_user(other_member)
    found = kit.get(f"/spaces/{space.id}/search?q=carpentry")
    assert f"/posts/{post.id}" in found.text
    notes = kit.get("/notifications")
    assert thread.title in notes.text
    note_id = int(notes.text.split('/notifications/')[2].split("/open")[0])
    opened = kit.post(f"/notifications/{note_id}/open")
    assert opened.status_code == HTTPStatus.FOUND
    assert as_user(member).post(f"/notifications/{note_id}/open").status_code == \
        HTTPStatus.NOT_FOUND
    linked = kit.get(f"/threads/{thread.id}").text
    assert 'class="mention"' in linked


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", "[x](javascript:alert(1))"])
def test_hostile_text_is_never_live_on_the_page(space, member, thread, as_user, hostile):
    reply(thread, member, hostile)
    page = as_user(member).get(f"/threads/{thread.id}").text
    assert "<script>alert" not in page and 'href="javascript' not in page


def test_the_space_page_partial_lists_threads(app, space, member, thread):
    from flask import render_template

    from community.spaces.queries import get_membership

    with app.test_request_context():
        from flask_login import login_user

        login_user(member)
        html = render_template("forums/_space_threads.html", space=space,
                               membership=get_membership(member, space.id))
        assert thread.title in html and "Start a thread" in html
        outsider_view = render_template("forums/_space_threads.html", space=space,
                                        membership=None)
        assert thread.title not in outsider_view


def test_a_thread_page_reads_its_authors_in_one_statement(app, space, member, facilitator,
                                                         as_user):
    """However many people wrote on a page, their names come from one query. (Authors
    nothing else held were once read again one by one, two statements each.)"""
    thread, _ = start_thread(space, facilitator)
    robin = as_user(member)

    def statements_of_a_second_visit() -> int:
        robin.get(f"/threads/{thread.id}")  # the first visit also moves the read position
        seen: list[str] = []

        def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
            seen.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = robin.get(f"/threads/{thread.id}")
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert page.status_code == HTTPStatus.OK
        return len(seen)

    alone = statements_of_a_second_visit()
    writers = [factories.make_user(display_name=f"Writer {n}", email=f"w{n}@example.org")
               for n in range(4)]
    for user in writers:
        factories.make_membership(space=space, user=user)
        reply(thread, user, f"{user.display_name} was here")
    assert statements_of_a_second_visit() == alone
    page = robin.get(f"/threads/{thread.id}").text
    assert all(f"Writer {n}" in page for n in range(4))
