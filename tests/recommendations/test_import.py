"""Importing into the database: counts, idempotency, sources agreeing, bad input."""

import csv
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from recommendations.models import (
    ImportDigest,
    Recommendation,
    RecommendationChange,
    Review,
    Theme,
)
from recommendations.services import recommendations_import

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "upr_info" / "upr_info_sample_5_states.csv"
VOLUNTARY_CSV = DATA / "upr_info" / "voluntary.csv"
VOLUNTARY_XLS = DATA / "upr_info" / "voluntary.xls"
CHINA_2013 = DATA / "ohchr" / "Matrix_recommendations_2013.docx"
SLOVENIA_2019 = DATA / "ohchr" / "UPR34_Slovenia_Thematic_list_of_Recommendations.docx"
SLOVENIA_2025 = DATA / "ohchr" / "upr48-slovenia-thematic-list-of-recommendatio.docx"

pytestmark = pytest.mark.django_db


def summary(path, **options) -> str:
    outcome = recommendations_import(path=path, label=path.name, **options)
    return outcome.summary_line().split(": ", 1)[1]


def china_17():
    return Recommendation.objects.filter(review__state__iso3="CHN", review__session=17)


def test_the_sample_becomes_one_recommendation_per_text_and_review():
    assert summary(SAMPLE) == "1659 rows, 1620 created, 0 updated, 0 unchanged, 0 errors"

    per_state = dict(Recommendation.objects.values_list("review__state__iso3").annotate(n=Count("id")).order_by())
    assert per_state == {"CHN": 420, "MEX": 357, "NGA": 330, "RUS": 349, "GBR": 164}
    positions = dict(Recommendation.objects.values_list("position").annotate(n=Count("id")).order_by())
    assert positions == {"supported": 1224, "noted": 396}
    assert Recommendation.recommending_states.through.objects.count() == 1659
    assert Recommendation.objects.values("recommending_states").distinct().count() == 147
    assert Theme.objects.filter(vocabulary="upr-info").count() == 54
    reviews = Review.objects.order_by("state__iso3", "session").values_list("state__iso3", "session", "cycle")
    assert list(reviews) == [
        ("CHN", 4, 1), ("CHN", 17, 2), ("GBR", 1, 1), ("GBR", 13, 2), ("MEX", 4, 1),
        ("MEX", 17, 2), ("NGA", 4, 1), ("NGA", 17, 2), ("RUS", 4, 1), ("RUS", 16, 2),
    ]  # fmt: skip


def test_rows_repeating_a_text_merge_their_recommending_states():
    recommendations_import(path=SAMPLE)

    rec = Recommendation.objects.get(
        review__state__iso3="CHN", review__session=17, text="Ratify as soon as possible ICCPR"
    )
    assert [s.iso3 for s in rec.recommending_states.order_by("iso3")] == ["BRA"]
    merged = (
        Recommendation.objects.annotate(n=Count("recommending_states")).filter(n__gt=1).order_by("-n", "id").first()
    )
    assert merged.recommending_states.count() == 4


def test_reimporting_a_file_changes_nothing():
    recommendations_import(path=SAMPLE)
    before = set(Recommendation.objects.values_list("code", flat=True))

    assert summary(SAMPLE) == "1659 rows, 0 created, 0 updated, 1620 unchanged, 0 errors"
    assert set(Recommendation.objects.values_list("code", flat=True)) == before
    assert RecommendationChange.objects.count() == 0


def test_the_xls_twin_of_a_csv_is_recognised_as_unchanged():
    assert summary(VOLUNTARY_CSV) == "947 rows, 944 created, 0 updated, 0 unchanged, 0 errors"

    assert summary(VOLUNTARY_XLS) == "947 rows, 0 created, 0 updated, 944 unchanged, 0 errors"
    assert set(Recommendation.objects.values_list("position", flat=True)) == {"voluntary-pledge"}


def test_a_changed_field_is_updated_and_recorded(tmp_path):
    recommendations_import(path=SAMPLE)
    changed = tmp_path / "changed.csv"
    raw = SAMPLE.read_bytes().replace(
        b"China,Asia,,Ratify the ICCPR,Austria,WEOG,EU,Accepted,5",
        b"China,Asia,,Ratify the ICCPR,Austria,WEOG,EU,Noted,5",
    )
    changed.write_bytes(raw)

    assert summary(changed) == "1659 rows, 0 created, 1 updated, 1619 unchanged, 0 errors"
    rec = Recommendation.objects.get(review__state__iso3="CHN", review__session=4, text="Ratify the ICCPR")
    assert rec.position == "noted"
    change = RecommendationChange.objects.get()
    assert (change.recommendation, change.field, change.old_value, change.new_value) == (
        rec,
        "position",
        "supported",
        "noted",
    )


def test_unknown_states_fail_the_whole_file_and_every_bad_row_is_listed(tmp_path):
    lines = SAMPLE.read_bytes().split(b"\r")
    lines[5] = lines[5].replace(b"China,Asia", b"Atlantis,Asia", 1)
    sponsor = next(csv.reader([lines[9].decode("mac_roman")]))[4].encode("mac_roman")
    lines[9] = lines[9].replace(b"," + sponsor + b",", b",Narnia,", 1)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\r".join(lines))

    outcome = recommendations_import(path=bad)

    assert outcome.summary_line() == f"{bad}: 1659 rows, 0 created, 0 updated, 0 unchanged, 2 errors"
    assert [str(error) for error in outcome.errors] == [
        "row 6, column 'State under review', value 'Atlantis': unknown State (not a UN member or observer State name)",
        "row 10, column 'recommending State', value 'Narnia': unknown State (not a UN member or observer State name)",
    ]
    assert Recommendation.objects.count() == 0
    assert Review.objects.count() == 0


def test_a_dry_run_reports_the_same_summary_and_writes_nothing():
    assert summary(SAMPLE, dry_run=True) == "1659 rows, 1620 created, 0 updated, 0 unchanged, 0 errors"

    assert Recommendation.objects.count() == 0
    assert Review.objects.count() == 0
    assert Theme.objects.count() == 0


def test_a_file_in_another_format_than_claimed_is_refused():
    outcome = recommendations_import(path=CHINA_2013, fmt="upr-info-csv")

    assert outcome.error_count == 1
    assert "not a UPR Info CSV export" in str(outcome.errors[0])
    assert Recommendation.objects.count() == 0


def test_an_ohchr_list_fills_in_what_upr_info_lacks():
    recommendations_import(path=SAMPLE)

    assert summary(CHINA_2013) == "252 rows, 0 created, 252 updated, 0 unchanged, 0 errors"
    assert china_17().count() == 252
    assert china_17().filter(paragraph="").count() == 0
    review = Review.objects.get(state__iso3="CHN", session=17)
    assert review.document_symbols == ["A/HRC/25/5", "A/HRC/25/5/Add.1"]
    rec = china_17().get(paragraph="186.28")
    assert (
        rec.text == "Continue its efforts on the ratification of other human rights instruments and relevant protocols"
    )
    assert rec.source == "upr-info"
    assert rec.position_source == "A/HRC/25/5/Add.1 - Para. 186.28."
    assert sorted(str(t) for t in rec.themes.filter(vocabulary="uhri")) == [
        "A12 Acceptance of international norms",
        "B51 Right to an effective remedy",
    ]
    assert [g.name for g in rec.affected_groups.all()] == ["General"]


def test_a_shared_paragraph_absorbs_the_separate_upr_info_texts():
    recommendations_import(path=SAMPLE)
    parts = china_17().filter(text__in=["Ratify as soon as possible ICCPR", "Expedite the ratification of the ICCPR"])
    old_codes = set(parts.values_list("code", flat=True))
    assert len(old_codes) == 2

    recommendations_import(path=CHINA_2013)

    rec = china_17().get(paragraph="186.2")
    assert rec.text.startswith("Ratify as soon as possible ICCPR (Brazil); Speed up the ratification")
    assert sorted(s.iso3 for s in rec.recommending_states.all()) == ["BGR", "BRA", "EST", "GHA"]
    assert old_codes <= {rec.code, *rec.former_codes}


@pytest.mark.parametrize("order", [(SAMPLE, CHINA_2013), (CHINA_2013, SAMPLE)])
def test_sources_agree_whatever_the_order(order):
    for path in order:
        recommendations_import(path=path)

    assert china_17().count() == 252
    assert Recommendation.objects.count() == 1588
    for path in order:
        outcome = recommendations_import(path=path)
        assert (outcome.created, outcome.updated) == (0, 0)


def test_ohchr_lists_of_later_cycles_create_their_reviews():
    assert summary(SLOVENIA_2019) == "215 rows, 215 created, 0 updated, 0 unchanged, 0 errors"
    assert summary(SLOVENIA_2025) == "254 rows, 254 created, 0 updated, 0 unchanged, 0 errors"

    reviews = Review.objects.values_list("state__iso3", "session", "cycle").order_by("session")
    assert list(reviews) == [("SVN", 34, 3), ("SVN", 48, 4)]
    rec = Recommendation.objects.get(review__session=48, paragraph="140.7")
    assert sorted(s.iso3 for s in rec.recommending_states.all()) == ["MDV", "PRT"]
    assert list(rec.sdg_goals.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_the_command_prints_one_summary_line_per_file(capsys):
    call_command("import_recommendations", str(SAMPLE), str(VOLUNTARY_CSV))

    assert capsys.readouterr().out.splitlines() == [
        f"{SAMPLE}: 1659 rows, 1620 created, 0 updated, 0 unchanged, 0 errors",
        f"{VOLUNTARY_CSV}: 947 rows, 944 created, 0 updated, 0 unchanged, 0 errors",
    ]


def test_the_command_fails_listing_bad_rows(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    shutil.copy(SAMPLE, bad)
    bad.write_bytes(bad.read_bytes().replace(b",Austria,", b",Narnia,"))

    with pytest.raises(CommandError, match="1 file"):
        call_command("import_recommendations", str(bad), "--dry-run")

    captured = capsys.readouterr()
    assert "unknown State" in captured.err
    assert captured.err.count("value 'Narnia'") == SAMPLE.read_bytes().count(b",Austria,")
    assert "0 created, 0 updated, 0 unchanged" in captured.out


def test_a_known_file_is_imported_again_when_what_it_made_has_changed():
    recommendations_import(path=SAMPLE)
    victim = Recommendation.objects.get(review__state__iso3="CHN", review__session=4, text="Ratify the ICCPR")
    victim.recommending_states.clear()
    victim.delete()

    assert summary(SAMPLE) == "1659 rows, 1 created, 0 updated, 1619 unchanged, 0 errors"
    assert summary(SAMPLE) == "1659 rows, 0 created, 0 updated, 1620 unchanged, 0 errors"
    assert summary(SAMPLE, use_digest=False) == "1659 rows, 0 created, 0 updated, 1620 unchanged, 0 errors"


def test_a_known_file_is_imported_again_when_one_of_its_fingerprints_changed():
    recommendations_import(path=SAMPLE)
    digest = ImportDigest.objects.get()
    ids = [int(pk) for pk in digest.recommendation_ids.split(",")]
    assert (len(ids), ids == sorted(ids), len(digest.fingerprint)) == (1620, True, 64)
    changed = Recommendation.objects.get(pk=ids[7])
    changed.fingerprints = {"upr-info": "0" * 40}
    changed.save(update_fields=["fingerprints"])

    # Taken the full path: the row is compared field by field, found equal, and its
    # fingerprint put back; the file is then known again.
    assert summary(SAMPLE) == "1659 rows, 0 created, 0 updated, 1620 unchanged, 0 errors"
    assert Recommendation.objects.get(pk=changed.pk).fingerprints["upr-info"] != "0" * 40
    assert ImportDigest.objects.get().fingerprint == digest.fingerprint


def test_a_digest_stored_in_the_older_form_counts_as_not_known():
    recommendations_import(path=SAMPLE)
    ImportDigest.objects.update(fingerprint="", recommendation_ids="")

    assert summary(SAMPLE) == "1659 rows, 0 created, 0 updated, 1620 unchanged, 0 errors"
    assert ImportDigest.objects.get().fingerprint != ""
