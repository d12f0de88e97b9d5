"""Addresses of many rows of one kind, reversed once per page instead of once per row.

`reverse()` (and DRF's hyperlinked fields, which also make the address absolute) costs
~0.1 ms a call; a list page links each of its rows, and the addresses differ only by the
row's key. `RowUrl` reverses the address of a stand-in key once and splices each real key
in its place.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from django.urls import reverse

# A key that no row has and that cannot occur elsewhere in an address (valid for a uuid
# converter, a slug or a string parameter).
STAND_IN = "00000000-0000-4000-8000-00000000f00d"


class RowUrl:
    """`RowUrl("app:detail")(key)` == `reverse("app:detail", args=[key])`, for any key.

    In a template: `{{ url.prefix }}{{ row.key }}{{ url.suffix }}`.
    """

    do_not_call_in_templates = True  # a template reads its prefix and suffix

    def __init__(self, view_name: str | None = None, *, make: Callable[[str], str] | None = None) -> None:
        """`view_name`: reverse() it; or `make`: any function of the key (e.g. a DRF field)."""
        address = make(STAND_IN) if make else reverse(view_name, args=[STAND_IN])
        self.prefix, found, self.suffix = str(address).partition(STAND_IN)
        if not found:
            raise ValueError(f"the key is not part of the address {address!r}")

    def __call__(self, key) -> str:
        return f"{self.prefix}{key}{self.suffix}"

    @classmethod
    def of_field(cls, field, lookup_field: str) -> RowUrl:
        """The address a DRF `HyperlinkedIdentityField` gives a row (absolute, with the
        request's format suffix), computed once."""
        return cls(make=lambda key: field.to_representation(SimpleNamespace(**{lookup_field: key})))
