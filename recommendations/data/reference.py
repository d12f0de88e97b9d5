"""Reference data seeded by migrations: mechanisms and the SDG goals and targets.

The seed functions take model classes so that migrations can pass historical models.
"""

MECHANISMS = (
    # code, acronym, name, kind, aliases
    ("upr", "UPR", "Universal Periodic Review", "upr", ()),
    ("ccpr", "CCPR", "Human Rights Committee", "treaty-body", ("ICCPR",)),
    ("cescr", "CESCR", "Committee on Economic, Social and Cultural Rights", "treaty-body", ("ICESCR",)),
    ("cat", "CAT", "Committee against Torture", "treaty-body", ()),
    ("spt", "SPT", "Subcommittee on Prevention of Torture", "treaty-body", ("OPCAT",)),
    ("cerd", "CERD", "Committee on the Elimination of Racial Discrimination", "treaty-body", ("ICERD",)),
    ("cedaw", "CEDAW", "Committee on the Elimination of Discrimination against Women", "treaty-body", ()),
    (
        "crc",
        "CRC",
        "Committee on the Rights of the Child",
        "treaty-body",
        ("CRC-OP-AC", "CRC-OP-SC", "CRC-OP-IC", "CRC OPAC", "CRC OPSC"),
    ),
    ("crpd", "CRPD", "Committee on the Rights of Persons with Disabilities", "treaty-body", ()),
    (
        "cmw",
        "CMW",
        "Committee on Migrant Workers",
        "treaty-body",
        ("Committee on the Protection of the Rights of All Migrant Workers and Members of Their Families",),
    ),
    ("ced", "CED", "Committee on Enforced Disappearances", "treaty-body", ()),
    (
        "special-procedures",
        "SP",
        "Special Procedures",
        "special-procedure",
        ("Special procedures of the Human Rights Council", "Special Procedure"),
    ),
    ("iachr", "IACHR", "Inter-American Commission on Human Rights", "regional", ("CIDH",)),
    ("achpr", "ACHPR", "African Commission on Human and Peoples' Rights", "regional", ()),
)

SDG_GOALS = (
    "No poverty",
    "Zero hunger",
    "Good health and well-being",
    "Quality education",
    "Gender equality",
    "Clean water and sanitation",
    "Affordable and clean energy",
    "Decent work and economic growth",
    "Industry, innovation and infrastructure",
    "Reduced inequalities",
    "Sustainable cities and communities",
    "Responsible consumption and production",
    "Climate action",
    "Life below water",
    "Life on land",
    "Peace, justice and strong institutions",
    "Partnerships for the goals",
)

# Per goal: (number of numbered targets, number of lettered means-of-implementation
# targets), as adopted in A/RES/70/1: 169 targets in all.
SDG_TARGET_COUNTS = (
    (5, 2), (5, 3), (9, 4), (7, 3), (6, 3), (6, 2), (3, 2), (10, 2), (5, 3),
    (7, 3), (7, 3), (8, 3), (3, 2), (7, 3), (9, 3), (10, 2), (19, 0),
)  # fmt: skip


def sdg_target_numbers(goal: int) -> list[str]:
    numbered, lettered = SDG_TARGET_COUNTS[goal - 1]
    return [f"{goal}.{n}" for n in range(1, numbered + 1)] + [f"{goal}.{chr(97 + n)}" for n in range(lettered)]


def seed_mechanisms(Mechanism) -> None:
    for code, acronym, name, kind, aliases in MECHANISMS:
        Mechanism.objects.update_or_create(
            code=code, defaults={"acronym": acronym, "name": name, "kind": kind, "aliases": list(aliases)}
        )


def seed_sdgs(SdgGoal, SdgTarget) -> None:
    for number, name in enumerate(SDG_GOALS, start=1):
        goal, _ = SdgGoal.objects.update_or_create(number=number, defaults={"name": name})
        for position, target in enumerate(sdg_target_numbers(number), start=1):
            SdgTarget.objects.update_or_create(number=target, defaults={"goal": goal, "position": position})
