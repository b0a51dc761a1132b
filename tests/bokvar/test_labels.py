"""Every model's `get_FOO_display()` reads its field's labels translated once per language
(bokvar/labels.py) and answers exactly what Django's own does: for every choice of every
field of every Bo Kvar model, a value that is none of them and None, in both languages."""

from __future__ import annotations

from functools import partialmethod

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps
from django.utils import translation

from bokvar import labels
from bokvar.apps import BOKVAR_APPS


def _choice_fields():
    for model in apps.get_models():
        if model._meta.app_label not in BOKVAR_APPS:
            continue
        for field in model._meta.concrete_fields:
            if field.choices is not None:
                yield model, field


def test_every_model_with_choices_reads_the_kept_labels():
    fields = list(_choice_fields())
    assert len(fields) > 40  # every app's models, their history models among them
    for model, field in fields:
        method = model.__dict__[f"get_{field.name}_display"]
        assert isinstance(method, partialmethod) and method.func is labels.display, (model, field)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_kept_labels_are_djangos_for_every_choice(language):
    compared = 0
    with translation.override(language):
        for model, field in _choice_fields():
            for value in [*(v for v, _label in field.flatchoices), "no-such-choice", None]:
                instance = model()
                setattr(instance, field.attname, value)
                ours = getattr(instance, f"get_{field.name}_display")()
                djangos = models.Model._get_FIELD_display(instance, field)
                assert ours == djangos and type(ours) is type(djangos), (model, field, value)
                compared += 1
    assert compared > 200


def test_each_language_has_its_own_labels():
    from cases.models import LandlordSignal

    signal = LandlordSignal(kind=LandlordSignal.Kind.RENT_ARREARS)
    with translation.override("en"):
        english = signal.get_kind_display()
    with translation.override("sv"):
        swedish = signal.get_kind_display()
    with translation.override("en"):
        assert signal.get_kind_display() == english
    assert english != swedish and isinstance(english, str)


# A registry of its own with no app installed: installing "bokvar" there would run its
# ready() again (it sets the garbage collector's thresholds, among others).
@isolate_apps()
def test_a_models_own_display_method_is_kept():
    class Own(models.Model):  # noqa: DJ008 - a model of this test only
        kind = models.CharField(max_length=1, choices=[("a", "A")])

        class Meta:
            app_label = "bokvar"

        def get_kind_display(self) -> str:
            return "mine"

    class Plain(models.Model):  # noqa: DJ008 - a model of this test only
        kind = models.CharField(max_length=1, choices=[("a", "A")])

        class Meta:
            app_label = "bokvar"

    labels.use_kept_labels([Own, Plain])
    assert Own(kind="a").get_kind_display() == "mine"
    assert Plain(kind="a").get_kind_display() == "A"
    assert Plain.__dict__["get_kind_display"].func is labels.display
