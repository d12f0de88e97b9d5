"""The access rules: who may see and do what, in one place (docs/permissions.md is the matrix).

Rules are `rules` predicates registered under permission names, and views, the API and the
admin ask the same named questions through `can`, e.g.
`can(request.user, "stakeholders.manage_members", organisation)`. Never `user.has_perm`:
Django's `PermissionsMixin.has_perm` answers True for any superuser before asking a backend.

A user acts for one organisation at a time (`acting_membership`): its rights are that
membership's, never the union of all its memberships. Django staff and superuser status grant
nothing here: `rules.permissions.ObjectPermissionBackend` answers from these predicates only
and `is_superuser` is not consulted by `can`, so the secretariat (government staff) gets no bypass into a
CSO's or NHRI's confidential work.

Templates ask with `{% load access %}{% can user "app.rule" obj as allowed %}`
(stakeholders/templatetags/access.py), never `perms` or rules' `{% has_perm %}`. Which rows a
list shows is a selector on the same rules (stakeholders/selectors.py). A new rule needs a row
in tests/stakeholders/test_permissions.py (its test fails otherwise) and in docs/permissions.md;
a new route needs a row in tests/access/routes.py.
"""

from __future__ import annotations

import rules

from stakeholders.models import Membership, Organisation, OrganisationKind

# Organisations whose members and unpublished work are hidden from everyone else, the
# secretariat included (DESIGN.md §4, "Confidentiality by default").
CONFIDENTIAL_KINDS = frozenset({OrganisationKind.CSO, OrganisationKind.COALITION, OrganisationKind.NHRI})

_ACTING = "_acting_membership"


def acting_membership(user) -> Membership | None:
    """The membership `user` acts in: set per request by MembershipMiddleware (or the API's
    token authentication); for a user loaded elsewhere, its first active membership."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if not hasattr(user, _ACTING):
        first = Membership.objects.active().filter(user=user).select_related("organisation").first()
        setattr(user, _ACTING, first)
    return getattr(user, _ACTING)


def set_acting_membership(user, membership: Membership | None) -> None:
    setattr(user, _ACTING, membership)


def can(user, rule: str, obj=None) -> bool:
    """Whether `user` may do `rule` (to `obj`): the one question every layer asks."""
    return rules.has_perm(rule, user, obj)


def is_confidential(organisation: Organisation) -> bool:
    return organisation.kind in CONFIDENTIAL_KINDS


# --- Predicates ---------------------------------------------------------------------------------


@rules.predicate
def acts_for_secretariat(user) -> bool:
    """Acting as a contributor or above of the NMRF secretariat."""
    membership = acting_membership(user)
    return bool(
        membership and membership.organisation.kind == OrganisationKind.SECRETARIAT and membership.can_contribute
    )


@rules.predicate
def acts_for_organisation(user, organisation: Organisation | None) -> bool:
    membership = acting_membership(user)
    return bool(membership and organisation is not None and membership.organisation_id == organisation.pk)


@rules.predicate
def manages_organisation(user, organisation: Organisation | None) -> bool:
    membership = acting_membership(user)
    return bool(
        membership
        and organisation is not None
        and membership.organisation_id == organisation.pk
        and membership.can_manage
    )


@rules.predicate
def organisation_is_open(user, organisation: Organisation | None) -> bool:
    """Not a CSO, coalition or NHRI: the secretariat may see and manage its members."""
    return organisation is not None and not is_confidential(organisation)


@rules.predicate
def organisation_has_no_members(user, organisation: Organisation | None) -> bool:
    """A new organisation: the secretariat may invite its first manager, whatever its kind."""
    if organisation is None:
        return False
    # The organisations page annotates `has_active_members`, one query for all of them.
    annotated = getattr(organisation, "has_active_members", None)
    if annotated is not None:
        return not annotated
    return not Membership.objects.active().filter(organisation=organisation).exists()


@rules.predicate
def manages_confidential_organisation(user) -> bool:
    """Acting as the manager of a CSO, coalition or NHRI (whatever object is asked about)."""
    membership = acting_membership(user)
    return bool(membership and membership.can_manage and is_confidential(membership.organisation))


is_signed_in = rules.is_authenticated & rules.is_active

# --- Rules (permission names) -------------------------------------------------------------------

# Members of an organisation: its own members see them; the secretariat only for open kinds.
rules.add_perm("stakeholders.view_members", acts_for_organisation | (acts_for_secretariat & organisation_is_open))
# Invite, change roles, deactivate: the organisation's managers; the secretariat for open
# kinds, and for a confidential one only to invite its first manager (invite_member).
rules.add_perm("stakeholders.manage_members", manages_organisation | (acts_for_secretariat & organisation_is_open))
rules.add_perm(
    "stakeholders.invite_member",
    manages_organisation | (acts_for_secretariat & (organisation_is_open | organisation_has_no_members)),
)
# Create organisations, read the security log (events of open organisations' members).
rules.add_perm("stakeholders.add_organisation", acts_for_secretariat)
# The security log: the secretariat sees the events of everyone outside confidential
# organisations; a confidential organisation's managers see their own members' events
# (the rows each one sees: stakeholders.selectors.security_events_for_user).
rules.add_perm("stakeholders.view_security_events", acts_for_secretariat | manages_confidential_organisation)
# An organisation's public profile (name, kind, public profile text): public.
rules.add_perm("stakeholders.view_organisation", rules.always_allow)
# Edit the profile: its managers; the secretariat for open kinds only (an adversarial
# government must not rewrite a CSO's public face).
rules.add_perm("stakeholders.change_organisation", manages_organisation | (acts_for_secretariat & organisation_is_open))
# A user's own API tokens and second factor.
rules.add_perm("stakeholders.manage_own_account", is_signed_in)
# Responsible institutions of recommendations.
rules.add_perm("recommendations.assign_responsibility", acts_for_secretariat)


# Appended for the focal points' workspace (recommendations assigned to their institution).
@rules.predicate
def acts_for_government_entity(user) -> bool:
    """Acting as any member (viewers included) of a government entity, e.g. a ministry."""
    membership = acting_membership(user)
    return bool(membership and membership.organisation.kind == OrganisationKind.GOVERNMENT)


# The recommendations assigned to the acting institution (/workspace/assigned/).
rules.add_perm("recommendations.view_assigned", acts_for_government_entity)


# Appended for member management: the secretariat's list of organisations (/workspace/organisations/),
# linking to the members pages it may see and to the first-manager invitation of empty ones.
rules.add_perm("stakeholders.list_organisations", acts_for_secretariat)
