"""Fixtures shared by the recommendations tests."""

from pathlib import Path

import pytest

from recommendations.services import recommendations_import

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def demo(db):
    """The five-State UPR Info sample and the OHCHR China 2013 list (1,588 recommendations)."""
    recommendations_import(path=DATA / "upr_info" / "upr_info_sample_5_states.csv")
    recommendations_import(path=DATA / "ohchr" / "Matrix_recommendations_2013.docx")
