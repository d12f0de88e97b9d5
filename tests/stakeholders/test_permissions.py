"""`can(user, rule, obj)`: every rule of stakeholders/permissions.py against every persona kind
(docs/permissions.md is the same table in prose). Superusers and staff get nothing from their
flags; the acting membership decides; inactive memberships and users count for nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from stakeholders.models import Membership, MembershipRole, OrganisationKind
from stakeholders.permissions import acting_membership, can, set_acting_membership
from tests.stakeholders.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

KINDS = {
    "secretariat": OrganisationKind.SECRETARIAT,
    "government": OrganisationKind.GOVERNMENT,
    "cso": OrganisationKind.CSO,
    "nhri": OrganisationKind.NHRI,
    "coalition": OrganisationKind.COALITION,
    "parliament": OrganisationKind.PARLIAMENT,
    "embassy": OrganisationKind.EMBASSY,
    # A CSO nobody belongs to yet: the secretariat may invite its first manager.
    "new-cso": OrganisationKind.CSO,
}
ROLES = {"viewer": MembershipRole.VIEWER, "contributor": MembershipRole.CONTRIBUTOR, "manager": MembershipRole.MANAGER}
PERSONAS = (
    "anonymous",
    "outsider",
    "staff",
    "superuser",
    *(f"{kind}-{role}" for kind in KINDS if kind != "new-cso" for role in ROLES),
)


@pytest.fixture
def organisations(db):
    return {key: OrganisationFactory(slug=key, kind=kind) for key, kind in KINDS.items()}


@pytest.fixture
def personas(organisations):
    users = {"anonymous": AnonymousUser(), "outsider": UserFactory()}
    users["staff"] = UserFactory(is_staff=True)
    users["superuser"] = UserFactory(is_staff=True, is_superuser=True)
    for name in PERSONAS:
        kind, _, role = name.rpartition("-")
        if kind in organisations:
            users[name] = MembershipFactory(organisation=organisations[kind], role=ROLES[role]).user
    return users


SECRETARIAT = {"secretariat-contributor", "secretariat-manager"}

# rule, object (an organisation key or None) -> the personas for whom `can` is True.
TABLE = {
    ("stakeholders.view_members", "government"): SECRETARIAT
    | {"government-viewer", "government-contributor", "government-manager"},
    ("stakeholders.view_members", "parliament"): SECRETARIAT
    | {"parliament-viewer", "parliament-contributor", "parliament-manager"},
    ("stakeholders.view_members", "cso"): {"cso-viewer", "cso-contributor", "cso-manager"},
    ("stakeholders.view_members", "nhri"): {"nhri-viewer", "nhri-contributor", "nhri-manager"},
    ("stakeholders.view_members", "coalition"): {"coalition-viewer", "coalition-contributor", "coalition-manager"},
    ("stakeholders.view_members", "new-cso"): set(),
    ("stakeholders.manage_members", "government"): SECRETARIAT | {"government-manager"},
    ("stakeholders.manage_members", "cso"): {"cso-manager"},
    ("stakeholders.manage_members", "nhri"): {"nhri-manager"},
    ("stakeholders.manage_members", "new-cso"): set(),
    ("stakeholders.invite_member", "government"): SECRETARIAT | {"government-manager"},
    ("stakeholders.invite_member", "cso"): {"cso-manager"},
    ("stakeholders.invite_member", "new-cso"): SECRETARIAT,
    ("stakeholders.change_organisation", "government"): SECRETARIAT | {"government-manager"},
    ("stakeholders.change_organisation", "cso"): {"cso-manager"},
    ("stakeholders.add_organisation", None): SECRETARIAT,
    ("stakeholders.list_organisations", None): SECRETARIAT,
    ("stakeholders.view_security_events", None): SECRETARIAT | {"cso-manager", "nhri-manager", "coalition-manager"},
    ("stakeholders.view_organisation", "cso"): set(PERSONAS),
    ("stakeholders.manage_own_account", None): set(PERSONAS) - {"anonymous"},
    ("recommendations.assign_responsibility", None): SECRETARIAT,
    ("recommendations.view_assigned", None): {"government-viewer", "government-contributor", "government-manager"},
}


@pytest.mark.parametrize(("rule", "target"), list(TABLE), ids=[f"{rule}[{target}]" for rule, target in TABLE])
def test_each_rule_answers_each_persona(personas, organisations, rule, target):
    obj = organisations[target] if target else None

    allowed = {name for name in PERSONAS if can(personas[name], rule, obj)}

    assert allowed == TABLE[(rule, target)]


def test_every_rule_is_in_the_table():
    import rules

    names = {name for name in rules.permissions.permissions if name.startswith(("stakeholders.", "recommendations."))}

    assert names - {rule for rule, _ in TABLE} == set()


@pytest.mark.parametrize(("rule", "target"), list(TABLE))
def test_a_superuser_without_membership_may_only_what_any_signed_in_user_may(personas, organisations, rule, target):
    obj = organisations[target] if target else None

    assert can(personas["superuser"], rule, obj) == can(personas["outsider"], rule, obj)
    assert personas["superuser"].has_perm(rule, obj)  # why views never ask has_perm


def test_switching_the_acting_membership_changes_the_answer(organisations):
    """A secretariat officer who also belongs to a CSO: as the CSO's member it sees its
    members and not the ministry's; as the secretariat the reverse."""
    user = MembershipFactory(organisation=organisations["secretariat"], role=MembershipRole.MANAGER).user
    as_cso = MembershipFactory(user=user, organisation=organisations["cso"], role=MembershipRole.VIEWER)
    as_secretariat = Membership.objects.get(user=user, organisation=organisations["secretariat"])

    set_acting_membership(user, as_cso)
    in_cso = [can(user, "stakeholders.view_members", organisations[key]) for key in ("cso", "government")]
    set_acting_membership(user, as_secretariat)
    in_secretariat = [can(user, "stakeholders.view_members", organisations[key]) for key in ("cso", "government")]

    assert in_cso == [True, False]
    assert in_secretariat == [False, True]
    assert can(user, "recommendations.assign_responsibility")


@pytest.mark.parametrize("rule", ["stakeholders.view_members", "stakeholders.manage_members"])
def test_a_deactivated_membership_counts_for_nothing(organisations, rule):
    membership = MembershipFactory(organisation=organisations["cso"], role=MembershipRole.MANAGER, is_active=False)

    assert acting_membership(membership.user) is None
    assert not can(membership.user, rule, organisations["cso"])


def test_a_deactivated_user_may_do_nothing(personas, organisations):
    user = personas["secretariat-manager"]
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert acting_membership(user) is None
    assert [rule for rule, target in TABLE if can(user, rule, organisations[target] if target else None)] == [
        "stakeholders.view_organisation"
    ]


ROOT = Path(__file__).resolve().parent.parent.parent
BYPASSES = re.compile(r"\.has_perms?\(|\bis_superuser\b|\bis_staff\b|\{%\s*has_perm\b|\bperms\.")


def test_pages_api_and_services_ask_only_through_can():
    """`has_perm`, `perms` and the staff flags let superusers through: outside the admin (whose
    own model permissions are Django's) nothing may use them to decide access."""
    sources = [*ROOT.glob("*/*.py"), *ROOT.glob("*/*/*.py"), *ROOT.glob("templates/**/*.html")]
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        if path.parts[len(ROOT.parts)] not in ("tests", "bench", "scripts", ".venv")
        and path.name not in ("admin.py", "access.py", "permissions.py")
        and "migrations" not in path.parts
        and "admin" not in path.relative_to(ROOT).parts[:2]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BYPASSES.search(line)
    ]

    assert offenders == []
