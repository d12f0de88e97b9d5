"""upr_portal.lib.html: user-written rich text keeps its formatting and loses everything else."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from stakeholders.models import Organisation, OrganisationKind
from upr_portal.lib.html import sanitise_html


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        (
            "<p>We <strong>monitor</strong> <em>prisons</em>.</p>",
            "<p>We <strong>monitor</strong> <em>prisons</em>.</p>",
        ),
        ("<ul><li>one</li></ul><ol><li>two</li></ol>", "<ul><li>one</li></ul><ol><li>two</li></ol>"),
        (
            "<h3>Mandate</h3><h4>Since</h4><blockquote>Quote</blockquote>",
            "<h3>Mandate</h3><h4>Since</h4><blockquote>Quote</blockquote>",
        ),
        ("line<br>break", "line<br>break"),
        (
            '<a href="https://example.org/report" target="_blank" class="c">report</a>',
            '<a href="https://example.org/report" rel="noopener noreferrer nofollow">report</a>',
        ),
        # nh3 keeps `lang` and `title` on any tag: text in another language stays marked as such.
        (
            '<p lang="fr" title="En français">Bonjour</p>',
            '<p lang="fr" title="En français">Bonjour</p>',
        ),
        (
            '<a href="mailto:info@example.org">mail</a>',
            '<a href="mailto:info@example.org" rel="noopener noreferrer nofollow">mail</a>',
        ),
    ],
)
def test_allowed_formatting_is_kept(written, kept):
    assert sanitise_html(written) == kept


@pytest.mark.parametrize(
    ("written", "left"),
    [
        ("<script>alert(1)</script>Hello", "Hello"),
        ("<style>body{display:none}</style>Hello", "Hello"),
        ('<p onclick="steal()" style="color:red" class="x" id="y">Hello</p>', "<p>Hello</p>"),
        ('<img src="x" onerror="alert(1)">Hello', "Hello"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        ('<a href="data:text/html,&lt;script&gt;">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        ('<a href="/en/workspace/">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        ('<a href="//evil.example/">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        ("<iframe src='https://evil.example'></iframe><form><input></form>Hello", "Hello"),
        ("<!-- note -->Hello", "Hello"),
        ("<svg><circle/></svg>Hello", "Hello"),
        ("Tom & Jerry <3", "Tom &amp; Jerry &lt;3"),
        ("", ""),
        (None, ""),
    ],
)
def test_everything_else_is_dropped(written, left):
    assert sanitise_html(written) == left


def test_the_template_filter_outputs_sanitised_html():
    template = Template("{% load sanitise %}<div>{{ profile|sanitise }}</div>")

    html = template.render(Context({"profile": "<p>Hi <script>alert(1)</script><b>there</b></p>"}))

    assert html == "<div><p>Hi there</p></div>"


@pytest.mark.django_db
def test_an_organisations_public_profile_is_stored_sanitised():
    organisation = Organisation.objects.create(
        name="Watch",
        slug="watch",
        kind=OrganisationKind.CSO,
        public_profile='<p onmouseover="x()">We <em>watch</em>.</p><script>x()</script>',
    )

    organisation.refresh_from_db()
    assert organisation.public_profile == "<p>We <em>watch</em>.</p>"
