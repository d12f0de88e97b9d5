"""Forms of the recommendations app (the admin's import and status forms among them)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.postgres.forms import SimpleArrayField
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recommendations.importers import FORMATS
from recommendations.models import ImplementationStatus, ImportFormat
from stakeholders.models import State

_FORMAT_LABELS = dict(ImportFormat.choices)


class LineArrayField(SimpleArrayField):
    """A list of strings edited one per line: mechanism names contain commas."""

    def __init__(self, base_field: forms.Field, **kwargs) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4}))
        super().__init__(base_field, delimiter="\n", **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = "\n".join(line.strip() for line in value.splitlines() if line.strip())
        return super().to_python(value)


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    format = forms.ChoiceField(
        choices=[(code, _FORMAT_LABELS.get(code, code)) for code in FORMATS],
        initial="auto",
        label=_("Format"),
    )
    # What an OHCHR thematic list may need besides the file; stored on the run.
    state = forms.ModelChoiceField(
        queryset=State.objects.all(),
        required=False,
        label=_("State under review"),
        help_text=_("Only for OHCHR thematic lists whose page header does not name it."),
    )
    session = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=99,
        label=_("UPR session"),
        help_text=_("Only for OHCHR thematic lists whose page header does not name it."),
    )

    def options(self) -> dict:
        """The import's `state` and `session` keyword arguments (None when not given)."""
        state, session = self.cleaned_data.get("state"), self.cleaned_data.get("session")
        return {"state": state.name if state else None, "session": session}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s."),
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
                code="too_large",
            )
        return upload


class RecommendationStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ImplementationStatus.choices, label=_("Implementation status"))
    effective_date = forms.DateField(
        label=_("Effective date"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
