from collections import Counter

import pytest

from stakeholders.data.states import STATES, seed_states
from stakeholders.models import Region, State, StateAlias
from upr_portal.lib.text import name_key

pytestmark = pytest.mark.django_db


def test_the_migration_seeds_every_member_and_observer_state():
    assert State.objects.count() == 195
    assert State.objects.filter(is_observer=True).count() == 2
    assert set(State.objects.filter(is_observer=True).values_list("iso3", flat=True)) == {"VAT", "PSE"}


def test_states_are_counted_in_their_regional_groups():
    counts = Counter(State.objects.values_list("region", flat=True))

    assert counts == {
        Region.AFRICA: 54,
        Region.ASIA_PACIFIC: 55,  # 54 members and the State of Palestine
        Region.EEG: 23,
        Region.GRULAC: 33,
        Region.WEOG: 29,  # Israel, Türkiye and the United States included
        "": 1,  # the Holy See
    }


@pytest.mark.parametrize(
    ("spelling", "iso3"),
    [
        ("United Kingdom", "GBR"),
        ("United Kingdom of Great Britain and Northern Ireland", "GBR"),
        ("United States", "USA"),
        ("Cote d'Ivoire", "CIV"),
        ("Côte d’Ivoire", "CIV"),
        ("DPR Korea", "PRK"),
        ("Democratic People’s Republic of Korea", "PRK"),
        ("Republic of Korea", "KOR"),
        ("Macedonia FYR", "MKD"),
        ("The former Yugoslav Republic of Macedonia", "MKD"),
        ("Swaziland", "SWZ"),
        ("Eswatini", "SWZ"),
        ("Congo", "COG"),
        ("Republic of Congo", "COG"),
        ("Democratic Republic of Congo", "COD"),
        ("Democratic Republic of the Congo", "COD"),
        ("Palestine", "PSE"),
        ("State of Palestine", "PSE"),
        ("Holy See", "VAT"),
        ("Guinea Bissau", "GNB"),
        ("Guinea-Bissau", "GNB"),
        ("Guinea", "GIN"),
        ("Equatorial Guinea", "GNQ"),
        ("Niger", "NER"),
        ("Nigeria", "NGA"),
        ("Dominica", "DMA"),
        ("Dominican Republic", "DOM"),
        ("Iran (Islamic Republic of)", "IRN"),
        ("Islamic Republic of Iran", "IRN"),
        ("Iran", "IRN"),
        ("Türkiye", "TUR"),
        ("Turkey", "TUR"),
        ("St Vincent & the Grenadines", "VCT"),
        ("Saint Vincent and the Grenadines", "VCT"),
        ("Sao Tome & Principe", "STP"),
        ("St Kitts & Nevis", "KNA"),
        ("Bolivarian Republic of Venezuela", "VEN"),
        ("Venezuela", "VEN"),
        ("Plurinational State of Bolivia", "BOL"),
        ("Kingdom of the Netherlands", "NLD"),
        ("Netherlands", "NLD"),
        ("Federated States of Micronesia", "FSM"),
        ("Laos", "LAO"),
        ("Lao People's Democratic Republic", "LAO"),
        ("Cape Verde", "CPV"),
        ("Czech Republic", "CZE"),
        ("Syria", "SYR"),
        ("Tanzania", "TZA"),
        ("Moldova", "MDA"),
        ("Viet Nam", "VNM"),
        ("Vietnam", "VNM"),
        ("Russia", "RUS"),
        ("Libyan Arab Jamahiriya", "LBY"),
        ("Sudan", "SDN"),
        ("South Sudan", "SSD"),
        ("gbr", "GBR"),
        ("COTE D IVOIRE", "CIV"),
        ("LAO PEOPLE S DEMOCRATIC REPUBLIC", "LAO"),
        ("GUINEA BISSAU", "GNB"),
    ],
)
def test_tricky_spellings_resolve_to_the_right_state(spelling, iso3):
    index = State.objects.name_index()

    assert index.find(spelling).iso3 == iso3


def test_an_unknown_name_is_not_in_the_index():
    assert name_key("Atlantis") not in State.objects.name_index()
    assert State.objects.name_index().find("Atlantis") is None


def test_a_space_less_key_never_shadows_a_real_one():
    index = State.objects.name_index()

    assert (index.find("Niger").iso3, index.find("Nigeria").iso3, index.find("Guinea").iso3) == ("NER", "NGA", "GIN")


def test_seeding_again_changes_nothing():
    before = (State.objects.count(), StateAlias.objects.count())

    seed_states(State, StateAlias)

    assert (State.objects.count(), StateAlias.objects.count()) == before


def test_no_two_states_share_a_name_alias_or_code_key():
    owner: dict[str, str] = {}
    clashes = []
    for iso3, name, formal_name, _region, _observer, aliases in STATES:
        keys = {iso3.lower(), name_key(name), *(name_key(alias) for alias in aliases)}
        if formal_name:
            keys.add(name_key(formal_name))
        for key in keys:
            if owner.setdefault(key, iso3) != iso3:
                clashes.append((key, owner[key], iso3))

    assert clashes == []


def test_the_list_is_well_formed():
    assert len(STATES) == 195
    assert len({entry[0] for entry in STATES}) == 195
    regions = {choice.value for choice in Region} | {""}
    for iso3, name, _formal_name, region, is_observer, aliases in STATES:
        assert len(iso3) == 3 and iso3.isupper(), iso3
        assert region in regions, iso3
        assert region or is_observer, iso3
        assert isinstance(aliases, tuple), iso3
        # An alias that folds to the short name adds nothing.
        assert all(name_key(alias) != name_key(name) for alias in aliases), iso3
