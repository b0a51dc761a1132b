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
