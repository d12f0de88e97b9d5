from django.contrib import admin

from stakeholders.models import State, StateAlias


class StateAliasInline(admin.TabularInline):
    model = StateAlias
    fields = ["alias"]
    extra = 1


@admin.register(State)
class StateAdmin(admin.ModelAdmin):
    list_display = ["name", "iso3", "region", "is_observer"]
    list_filter = ["region", "is_observer"]
    search_fields = ["name", "official_name", "iso3", "aliases__alias"]
    inlines = [StateAliasInline]
