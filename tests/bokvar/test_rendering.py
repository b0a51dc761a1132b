"""Selects are written in Python (bokvar.rendering, issue 22 point 2) with exactly the
markup and escaping of Django's own templates."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from bokvar.rendering import Renderer

CHOICES = [
    ("", "---------"),
    ("a", 'Anna <b>&</b> "Bo"'),
    ("Group <1>", [(1, "one"), (2, 'two "2"')]),
    (None, "none"),
]


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=CHOICES, required=False)
    required = forms.ChoiceField(choices=CHOICES)
    many = forms.MultipleChoiceField(choices=CHOICES[1:], required=False)
    flagged = forms.ChoiceField(
        choices=CHOICES,
        widget=forms.Select(attrs={"data-x": 'a"b', "hidden": True, "off": False}),
    )
    yes_no = forms.NullBooleanField()
    radios = forms.ChoiceField(choices=CHOICES[1:2], widget=forms.RadioSelect)


@pytest.mark.parametrize(
    "data",
    [None, {"plain": "a", "required": "2", "many": ["a", "1"], "flagged": "", "yes_no": "true"}],
)
def test_every_select_is_written_as_djangos_templates_write_it(data):
    ours = Everything(data, renderer=Renderer())
    django = Everything(data, renderer=DjangoTemplates())
    for name in Everything.base_fields:
        assert str(ours[name]) == str(django[name]), name
    assert "Anna &lt;b&gt;&amp;&lt;/b&gt; &quot;Bo&quot;" in str(ours["plain"])


def test_the_project_renders_forms_with_it(settings):
    from django.forms.renderers import get_default_renderer

    get_default_renderer.cache_clear()
    try:
        assert isinstance(get_default_renderer(), Renderer)
    finally:
        get_default_renderer.cache_clear()
