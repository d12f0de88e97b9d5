"""The demo country context: a national mechanism and the organisations and people around it.

The State under review is Nigeria (in the demo data); the embassy is Brazil's, which made
recommendations to Nigeria there. Every user's e-mail is `<name>@demo.upr-portal.example`.
"""

from __future__ import annotations

from dataclasses import dataclass

from stakeholders.models import MembershipRole as Role
from stakeholders.models import OrganisationKind as Kind

DEMO_COUNTRY = "NGA"
EMAIL_DOMAIN = "demo.upr-portal.example"


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    kind: Kind
    acronym: str = ""
    represents: str = ""  # an embassy's State (ISO3)
    members: tuple[str, ...] = ()  # a coalition's member organisations (slugs)


@dataclass(frozen=True)
class DemoUser:
    name: str
    first_name: str
    last_name: str
    organisation: str
    role: Role

    @property
    def email(self) -> str:
        return f"{self.name}@{EMAIL_DOMAIN}"


ORGANISATIONS = (
    DemoOrganisation(
        "nmrf-secretariat", "National Mechanism for Reporting and Follow-up – Secretariat", Kind.SECRETARIAT, "NMRF"
    ),
    DemoOrganisation("ministry-of-justice", "Federal Ministry of Justice", Kind.GOVERNMENT, "FMoJ"),
    DemoOrganisation("ministry-of-health", "Federal Ministry of Health", Kind.GOVERNMENT, "FMoH"),
    DemoOrganisation("womens-rights-network", "Women's Rights Action Network", Kind.CSO, "WRAN"),
    DemoOrganisation(
        "upr-cso-coalition",
        "Civil Society Coalition on the UPR",
        Kind.COALITION,
        "CSC-UPR",
        members=("womens-rights-network",),
    ),
    DemoOrganisation("national-human-rights-commission", "National Human Rights Commission", Kind.NHRI, "NHRC"),
    DemoOrganisation("house-human-rights-committee", "House Committee on Human Rights", Kind.PARLIAMENT),
    DemoOrganisation("undp-country-office", "UNDP Country Office", Kind.UN_AGENCY, "UNDP"),
    DemoOrganisation("embassy-of-brazil", "Embassy of Brazil", Kind.EMBASSY, represents="BRA"),
    DemoOrganisation("development-cooperation-agency", "Development Cooperation Agency", Kind.DONOR),
    DemoOrganisation("university-centre-for-human-rights", "University Centre for Human Rights", Kind.ACADEMIA),
    DemoOrganisation("daily-chronicle", "The Daily Chronicle", Kind.MEDIA),
    DemoOrganisation(
        "african-commission", "African Commission on Human and Peoples' Rights", Kind.REGIONAL_BODY, "ACHPR"
    ),
)

USERS = (
    DemoUser("secretariat", "Secretariat", "Officer", "nmrf-secretariat", Role.MANAGER),
    DemoUser("focal-justice", "Justice", "Focal Point", "ministry-of-justice", Role.CONTRIBUTOR),
    DemoUser("validator-justice", "Justice", "Validator", "ministry-of-justice", Role.VALIDATOR),
    DemoUser("focal-health", "Health", "Focal Point", "ministry-of-health", Role.CONTRIBUTOR),
    DemoUser("cso", "Coalition", "Member", "upr-cso-coalition", Role.CONTRIBUTOR),
    DemoUser("nhri", "NHRI", "Officer", "national-human-rights-commission", Role.CONTRIBUTOR),
    DemoUser("parliament", "Committee", "Member", "house-human-rights-committee", Role.CONTRIBUTOR),
    DemoUser("un-agency", "UN Agency", "Officer", "undp-country-office", Role.VIEWER),
    DemoUser("embassy", "Embassy", "Officer", "embassy-of-brazil", Role.VIEWER),
    DemoUser("observer", "Media", "Observer", "daily-chronicle", Role.VIEWER),
)
