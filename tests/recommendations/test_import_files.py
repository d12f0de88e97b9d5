"""Importing several files in one call: each file all or nothing, the next one read ahead."""

import shutil
import threading
from pathlib import Path

import pytest

from recommendations.importers import prepare as prepare_module
from recommendations.indexing import INDEX_COLUMNS
from recommendations.models import Recommendation, Review
from recommendations.services import recommendations_import, recommendations_import_files
from stakeholders.models import State

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "upr_info" / "upr_info_sample_5_states.csv"
VOLUNTARY_CSV = DATA / "upr_info" / "voluntary.csv"
CHINA_2013 = DATA / "ohchr" / "Matrix_recommendations_2013.docx"
SLOVENIA_2019 = DATA / "ohchr" / "UPR34_Slovenia_Thematic_list_of_Recommendations.docx"
FILES = [SAMPLE, VOLUNTARY_CSV, CHINA_2013, SLOVENIA_2019]

pytestmark = pytest.mark.django_db


def summaries(outcomes) -> list[str]:
    return [outcome.summary_line().split(": ", 1)[1] for outcome in outcomes]


def everything() -> list[tuple]:
    """What the imports made, without ids, codes and times (and the words of the search
    document sorted: `reindex` joins the names of updated rows in the links' order)."""
    columns = ("review__state__iso3", "review__session", "paragraph", "text", "position", "source", "match_keys")
    rows = Recommendation.objects.values_list(*columns, "fingerprints", *INDEX_COLUMNS)
    rows = rows.order_by("text", "paragraph", *columns[:2])
    rows = [(*row[:8], sorted(row[8].split()), *row[9:]) for row in rows]
    links = Recommendation.objects.values_list("text", "paragraph", "recommending_states__iso3", "themes__slug")
    return [*rows, *sorted(links.order_by(), key=repr)]


def forget_everything() -> None:
    Recommendation.objects.all().delete()
    Review.objects.all().delete()


@pytest.fixture
def prepared_in(monkeypatch) -> dict[str, str]:
    """File name -> the process and thread that read and resolved it."""
    readers = {}
    original = prepare_module.ReadAhead.prepare

    def spy(self, path, fmt):
        prepared = original(self, path, fmt)
        readers[Path(path).name] = prepared.reader
        return prepared

    monkeypatch.setattr(prepare_module.ReadAhead, "prepare", spy)
    return readers


def query_states() -> str:
    """Run in the read-ahead process."""
    try:
        return f"{State.objects.count()} States"
    except RuntimeError as exc:
        return str(exc)


def test_several_files_make_what_importing_them_one_by_one_makes():
    outcomes = list(recommendations_import_files(paths=FILES))
    together = everything()
    forget_everything()
    one_by_one = [recommendations_import(path=path) for path in FILES]

    assert (
        summaries(outcomes)
        == summaries(one_by_one)
        == [
            "1659 rows, 1620 created, 0 updated, 0 unchanged, 0 errors",
            "947 rows, 944 created, 0 updated, 0 unchanged, 0 errors",
            "252 rows, 0 created, 252 updated, 0 unchanged, 0 errors",
            "215 rows, 215 created, 0 updated, 0 unchanged, 0 errors",
        ]
    )
    assert everything() == together


def test_the_next_file_is_read_in_another_process_while_one_is_written(prepared_in):
    list(recommendations_import_files(paths=[SAMPLE, VOLUNTARY_CSV, SLOVENIA_2019]))

    assert prepared_in[SAMPLE.name] == f"MainProcess/{threading.current_thread().name}"
    assert prepared_in[VOLUNTARY_CSV.name].startswith("ForkProcess-")
    assert prepared_in[SLOVENIA_2019.name] == prepared_in[VOLUNTARY_CSV.name]  # one process for all


def test_the_read_ahead_process_leaves_the_database_connection_to_the_importer():
    with prepare_module.ReadAhead() as ahead:
        answer = ahead._pool().submit(query_states).result()

    assert answer == "the import's read-ahead process does not use the database"
    assert State.objects.count() == 195  # the importer's connection outlived the process


def test_where_no_process_can_be_forked_a_thread_reads_ahead(monkeypatch, prepared_in):
    daemonic = type("Daemonic", (), {"daemon": True, "name": "Worker"})
    monkeypatch.setattr(prepare_module.multiprocessing, "current_process", daemonic)

    list(recommendations_import_files(paths=[SAMPLE, VOLUNTARY_CSV]))

    assert prepared_in[VOLUNTARY_CSV.name] == "Worker/import-read-ahead_0"


def test_files_answered_from_their_digest_are_not_read_ahead(prepared_in):
    list(recommendations_import_files(paths=[SAMPLE, VOLUNTARY_CSV]))
    prepared_in.clear()

    outcomes = list(recommendations_import_files(paths=[SAMPLE, VOLUNTARY_CSV]))

    assert summaries(outcomes) == [
        "1659 rows, 0 created, 0 updated, 1620 unchanged, 0 errors",
        "947 rows, 0 created, 0 updated, 944 unchanged, 0 errors",
    ]
    assert prepared_in == {}


def test_a_bad_file_among_several_is_rolled_back_alone(tmp_path):
    bad = tmp_path / "bad.csv"
    shutil.copy(SAMPLE, bad)
    bad.write_bytes(bad.read_bytes().replace(b",Austria,", b",Narnia,"))
    missing = tmp_path / "missing.csv"

    outcomes = list(recommendations_import_files(paths=[bad, VOLUNTARY_CSV, missing, SLOVENIA_2019]))

    assert [outcome.ok for outcome in outcomes] == [False, True, False, True]
    assert all("Narnia" in str(error) for error in outcomes[0].errors)
    assert outcomes[0].error_count == SAMPLE.read_bytes().count(b",Austria,")
    assert str(outcomes[2].errors[0]) == f"file: {missing}: no such file"
    assert Recommendation.objects.count() == 944 + 215


def test_a_file_that_is_not_in_the_claimed_format_fails_when_read_ahead():
    outcomes = list(recommendations_import_files(paths=[SAMPLE, CHINA_2013], fmt="upr-info-csv"))

    assert [outcome.ok for outcome in outcomes] == [True, False]
    assert "not a UPR Info CSV export" in str(outcomes[1].errors[0])
    assert Recommendation.objects.count() == 1620
