"""The personas of the access tests: anonymous, an outsider, each role of each organisation
kind that matters, Django staff and a superuser (both without any membership)."""

from __future__ import annotations

from dataclasses import dataclass

from stakeholders.models import MembershipRole, OrganisationKind

# One organisation per kind; the observer kinds that behave alike are represented by two.
KINDS: dict[str, OrganisationKind] = {
    "secretariat": OrganisationKind.SECRETARIAT,
    "government": OrganisationKind.GOVERNMENT,
    "cso": OrganisationKind.CSO,
    "coalition": OrganisationKind.COALITION,
    "nhri": OrganisationKind.NHRI,
    "parliament": OrganisationKind.PARLIAMENT,
    "embassy": OrganisationKind.EMBASSY,
    "un-agency": OrganisationKind.UN_AGENCY,
    "media": OrganisationKind.MEDIA,
}
CONFIDENTIAL = frozenset({"cso", "coalition", "nhri"})
ROLES = tuple(MembershipRole)


@dataclass(frozen=True)
class Persona:
    name: str
    kind: str | None = None  # a key of KINDS: the organisation it acts for
    role: MembershipRole | None = None
    staff: bool = False
    superuser: bool = False

    def __str__(self) -> str:
        return self.name

    @property
    def anonymous(self) -> bool:
        return self.name == "anonymous"

    @property
    def signed_in(self) -> bool:
        return not self.anonymous

    @property
    def email(self) -> str:
        return f"{self.name}@access.example.org"

    @property
    def secretariat(self) -> bool:
        """Acts for the secretariat with the right to act (contributor or above)."""
        return self.kind == "secretariat" and self.role != MembershipRole.VIEWER

    @property
    def confidential(self) -> bool:
        return self.kind in CONFIDENTIAL

    @property
    def manager(self) -> bool:
        return self.role == MembershipRole.MANAGER

    @property
    def admin_user(self) -> bool:
        """May enter the Django admin (is_staff)."""
        return self.staff or self.superuser


PERSONAS: tuple[Persona, ...] = (
    Persona("anonymous"),
    Persona("outsider"),
    *(Persona(f"{kind}-{role.value}", kind=kind, role=role) for kind in KINDS for role in ROLES),
    Persona("staff", staff=True),
    Persona("superuser", staff=True, superuser=True),
)
BY_NAME = {persona.name: persona for persona in PERSONAS}
