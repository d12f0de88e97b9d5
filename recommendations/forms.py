"""Forms of the recommendations app (the admin's import and status forms among them)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.postgres.forms import SimpleArrayField
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recommendations.importers import FORMATS
from recommendations.models import ImplementationStatus, ImportFormat, ResponsibilityRole
from stakeholders.models import Organisation, State
from upr_portal.lib.uploads import IMPORT_KINDS, check_upload

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
        # Size, and the type sniffed from the content (CSV, XLS, XLSX, DOCX), not the name.
        check_upload(upload, allowed=IMPORT_KINDS, max_bytes=settings.IMPORT_MAX_UPLOAD_BYTES)
        return upload


class RecommendationStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ImplementationStatus.choices, label=_("Implementation status"))
    effective_date = forms.DateField(
        label=_("Effective date"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


# --- Responsible institutions (secretariat) ----------------------------------------------------


class GovernmentEntityField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.acronym})" if obj.acronym else obj.name


class GovernmentEntitiesField(forms.ModelMultipleChoiceField):
    label_from_instance = GovernmentEntityField.label_from_instance


class ResponsibilityForm(forms.Form):
    """A recommendation's lead and supporting institutions (`services.responsibility_set`)."""

    lead = GovernmentEntityField(
        queryset=Organisation.objects.none(),
        required=False,
        to_field_name="slug",
        label=_("Lead institution"),
        empty_label=_("No lead institution"),
        help_text=_("The government entity answerable for implementing the recommendation."),
    )
    supporting = GovernmentEntitiesField(
        queryset=Organisation.objects.none(),
        required=False,
        to_field_name="slug",
        label=_("Supporting institutions"),
        help_text=_("Any number; hold Ctrl (or Cmd) to choose several."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args, entities: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = self.fields["supporting"].queryset = entities
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select")

    def clean(self):
        data = super().clean()
        lead, supporting = data.get("lead"), data.get("supporting") or []
        if lead is not None and lead in supporting:
            self.add_error(
                "supporting", _("%(name)s is already the lead institution: it cannot also support.") % {"name": lead}
            )
        return data


class BulkAssignForm(forms.Form):
    """Assign every recommendation of a list's result (the filters in `query`) to one institution.

    The recommendations are found again from `query` when the form is posted, never from
    ids sent by the browser; `expected` is the count the officer confirmed.
    """

    query = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
    organisation = GovernmentEntityField(
        queryset=Organisation.objects.none(), to_field_name="slug", label=_("Institution")
    )
    role = forms.ChoiceField(
        choices=ResponsibilityRole.choices,
        initial=ResponsibilityRole.SUPPORTING,
        label=_("Role"),
        widget=forms.RadioSelect,
    )
    replace_lead = forms.BooleanField(
        required=False,
        label=_("Where another institution leads, make it supporting"),
        help_text=_("Only for the lead role. Unticked, recommendations that already have a lead keep it."),
    )
    expected = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, entities: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = entities
        self.fields["organisation"].widget.attrs["class"] = "form-select"
        self.fields["role"].widget.attrs["class"] = "form-check-input"
        self.fields["replace_lead"].widget.attrs["class"] = "form-check-input"


class AssignedFilterForm(forms.Form):
    """Filters of a focal point's list of assigned recommendations (GET)."""

    role = forms.ChoiceField(
        choices=[("", _("Any role")), *ResponsibilityRole.choices], required=False, label=_("Role")
    )
    status = forms.ChoiceField(
        choices=[("", _("Any status")), *ImplementationStatus.choices], required=False, label=_("Status")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"
