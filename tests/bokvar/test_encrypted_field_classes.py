"""Defining a model with encrypted fields costs no signal receiver (issue 14): the
migration framework defines a new class for every model state it renders, thousands
while migrating from empty."""

from __future__ import annotations

from django.apps import apps
from django.db.migrations.state import ProjectState
from django.db.models.signals import post_init


def test_rendering_model_states_connects_no_receivers():
    before = len(post_init.receivers)
    for _ in range(2):
        rendered = ProjectState.from_apps(apps).apps
        assert rendered.get_model("cases", "Person")._meta.get_field("address").encrypted
    # Each receiver connected per class stayed for good, and every later connect scanned
    # all of them: a migration from empty grew quadratic in the states it rendered.
    assert len(post_init.receivers) == before


def test_every_model_with_an_encrypted_field_loads_its_rows_through_the_check():
    """The row-key check sits in each such model's `from_db` (bokvar/fields.py), installed
    only where the model does not define one itself: a model that did would silently
    show values moved from another row. So none may, and every one has the check."""
    from bokvar.fields import EncryptedTextField

    models = [
        model
        for model in apps.get_models()
        if any(isinstance(field, EncryptedTextField) for field in model._meta.concrete_fields)
    ]
    assert len(models) > 10
    for model in models:
        qualname = model.from_db.__func__.__qualname__
        assert qualname.startswith("_checked_from_db."), (model, qualname)
