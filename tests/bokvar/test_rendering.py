"""Selects are written in Python (bokvar.rendering, issue 22 point 2) with exactly the
markup and escaping of Django's own templates."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from bokvar.rendering import Renderer, escaped

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


class Fields(forms.Form):
    """A field of every kind the field-group template branches on."""

    text = forms.CharField(help_text='Write <em>"this"</em> & that', max_length=5)
    unlabelled = forms.CharField(label="", required=False)
    quoted = forms.CharField(label='Name <"x">', required=False, initial='a"b')
    radios = forms.ChoiceField(choices=CHOICES[1:2], widget=forms.RadioSelect, help_text="Pick")
    boxes = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple, required=False
    )
    described = forms.CharField(
        widget=forms.TextInput(attrs={"aria-describedby": "elsewhere"}), help_text="Own"
    )
    day = forms.DateField(required=False)
    flag = forms.BooleanField(required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)


@pytest.mark.parametrize(
    "data",
    [None, {}, {"text": "too long text", "radios": "nope", "day": "31.02", "described": ""}],
)
@pytest.mark.parametrize("auto_id", ["id_%s", False])
def test_every_field_group_is_written_as_djangos_template_writes_it(data, auto_id):
    ours = Fields(data, renderer=Renderer(), auto_id=auto_id)
    django = Fields(data, renderer=DjangoTemplates(), auto_id=auto_id)
    for name in Fields.base_fields:
        assert ours[name].as_field_group() == django[name].as_field_group(), name
    # The form as a whole (its div template renders each field's group).
    assert ours.as_div() == django.as_div()
    if data:
        assert "errorlist" in ours["text"].as_field_group()


@pytest.mark.django_db
def test_the_projects_filter_forms_are_written_as_djangos_templates_write_them(org):
    from audit.forms import LogFilterForm
    from bokvar.models import Unit, User
    from cases.core.forms import CaseFilterForm

    units, staff = Unit.objects.all(), User.objects.all()
    for data in (None, {"q": "x" * 500, "status": "nope", "unit": "0"}):
        ours = CaseFilterForm(data, units=units, staff=staff, renderer=Renderer())
        django = CaseFilterForm(data, units=units, staff=staff, renderer=DjangoTemplates())
        for name in ours.fields:
            assert ours[name].as_field_group() == django[name].as_field_group(), name
    data = {"start": "1800-01-01", "case": "BK-0"}
    options = {"units": units, "users": staff, "find_case": lambda number: None}
    ours = LogFilterForm(data, renderer=Renderer(), **options)
    django = LogFilterForm(data, renderer=DjangoTemplates(), **options)
    ours.is_valid(), django.is_valid()
    for name in ours.fields:
        assert ours[name].as_field_group() == django[name].as_field_group(), name


class Labelled(Fields):
    required_css_class = "needed"
    label_suffix = " →"


@pytest.mark.parametrize("auto_id", ["id_%s", False])
def test_every_label_and_error_list_is_written_as_djangos_templates_write_it(auto_id):
    """Labels and legends (`label_tag`, `legend_tag`) and error lists, empty or not."""
    data = {"text": "too long text", "radios": "nope"}
    for bound in (None, data):
        ours = Labelled(bound, renderer=Renderer(), auto_id=auto_id)
        django = Labelled(bound, renderer=DjangoTemplates(), auto_id=auto_id)
        for name in Labelled.base_fields:
            for call in (
                lambda f: f.label_tag(),
                lambda f: f.legend_tag(),
                lambda f: f.label_tag(attrs={"class": "x", "data-q": 'a"b', "off": False}),
                lambda f: f.label_tag(contents='<b>"Bold"</b> & more', label_suffix=":"),
                lambda f: f.label_tag(tag="span", attrs={"hidden": True}),
                lambda f: f.label_tag(contents='<i>"x"</i> & y.', label_suffix=""),
                lambda f: str(f.errors),
            ):
                assert call(ours[name]) == call(django[name]), name
        assert str(ours.non_field_errors()) == str(django.non_field_errors())
    assert 'class="needed"' in Labelled(renderer=Renderer())["text"].label_tag()
    assert "<ul" in str(Labelled(data, renderer=Renderer())["text"].errors)


class Inputs(forms.Form):
    """Every input widget Django renders through `input.html`, and a text area."""

    text = forms.CharField(required=False, initial='a "quoted" <b>&</b>')
    empty = forms.CharField(required=False, initial="")
    number = forms.IntegerField(required=False, initial=42)
    decimal = forms.DecimalField(required=False, localize=True, initial="1234.5")
    email = forms.EmailField(required=False)
    url = forms.URLField(
        required=False, assume_scheme="https", widget=forms.URLInput(attrs={"data-x": 'a"b'})
    )
    password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(required=False, widget=forms.HiddenInput, initial="<h>")
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    moment = forms.DateTimeField(required=False)
    clock = forms.TimeField(required=False)
    flag = forms.BooleanField(required=False, initial=True)
    off = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"off": False}))
    search = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "search"}))
    color = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "color"}))
    tel = forms.CharField(required=False, widget=forms.TextInput(attrs={"hidden": True}))
    note = forms.CharField(required=False, widget=forms.Textarea, initial='line\n"two" & <3>')
    blank = forms.CharField(required=False, widget=forms.Textarea)


class TypedInputs(forms.Form):
    """The widgets whose own template names Django gives (`date.html`, `tel.html`, …)."""

    email = forms.CharField(widget=forms.EmailInput, required=False)
    number = forms.CharField(widget=forms.NumberInput, required=False)
    date = forms.CharField(widget=forms.DateInput, required=False)
    datetime = forms.CharField(widget=forms.DateTimeInput, required=False)
    time = forms.CharField(widget=forms.TimeInput, required=False)
    color = forms.CharField(widget=forms.ColorInput, required=False)
    search = forms.CharField(widget=forms.SearchInput, required=False)
    tel = forms.CharField(widget=forms.TelInput, required=False)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {
            "text": '<script>"x"</script>',
            "number": "7",
            "decimal": "1,5",
            "email": "a&b@example.org",
            "url": "https://x.example/?a=1&b=2",
            "password": 'p"w',
            "hidden": "1",
            "day": "2026-12-06",
            "moment": "2026-12-06 10:00",
            "clock": "10:00",
            "flag": "on",
            "off": "",
            "note": "x\r\n<y>",
            "blank": "",
        },
    ],
)
@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_input_and_text_area_is_written_as_djangos_templates_write_it(data, language):
    from django.utils import translation

    with translation.override(language):
        for form in (Inputs, TypedInputs):
            ours = form(data, renderer=Renderer())
            django = form(data, renderer=DjangoTemplates())
            for name in form.base_fields:
                assert str(ours[name]) == str(django[name]), name
                assert ours[name].as_field_group() == django[name].as_field_group(), name
            assert ours.as_div() == django.as_div()
    written = str(Inputs(renderer=Renderer())["text"])
    assert 'value="a &quot;quoted&quot; &lt;b&gt;&amp;&lt;/b&gt;"' in written


def test_the_inputs_skip_djangos_templates(monkeypatch):
    """The point of writing them: no template is rendered for an input or a text area
    (fails when the renderer hands them to Django's templates)."""
    rendered = []
    original = DjangoTemplates.render

    def counting(self, template_name, context, request=None):
        rendered.append(template_name)
        return original(self, template_name, context, request)

    monkeypatch.setattr(DjangoTemplates, "render", counting)
    form = Inputs(renderer=Renderer())
    for name in Inputs.base_fields:
        str(form[name])
    typed = TypedInputs(renderer=Renderer())
    for name in TypedInputs.base_fields:
        str(typed[name])
    assert rendered == []


@pytest.mark.parametrize(
    "value",
    ["a \"b\" <c> & 'd'", "", "plain", mark_safe("<b>safe</b>"), 12, None, gettext_lazy("Name")],
)
def test_escaped_is_conditional_escape(value):
    assert escaped(value) == str(conditional_escape(value))


def test_addresses_written_from_their_kept_pattern_are_reverse_s():
    from django.urls import reverse

    from bokvar.rendering import address, id_address

    assert address("cases:list") == reverse("cases:list")
    assert address("cases:edit", 42) == reverse("cases:edit", args=[42])
    assert address("cases:edit", "7") == reverse("cases:edit", args=[7])
    assert address("housing:night_remove", 5, 123456) == reverse(
        "housing:night_remove", args=[5, 123456]
    )
    before, after = id_address("housing:night_remove", 5)
    assert f"{before}99{after}" == reverse("housing:night_remove", args=[5, 99])
    with pytest.raises(ValueError):
        address("cases:edit", "1/../admin")  # an id is an integer, nothing else


def test_the_kept_patterns_follow_the_script_prefix_and_a_changed_url_configuration():
    from django.test import override_settings
    from django.urls import reverse, set_script_prefix

    from bokvar.rendering import address

    assert address("cases:edit", 1) == "/cases/1/edit/"
    set_script_prefix("/bokvar/")
    try:
        assert (
            address("cases:edit", 1) == reverse("cases:edit", args=[1]) == "/bokvar/cases/1/edit/"
        )
    finally:
        set_script_prefix("/")
    # Another URL configuration: the patterns kept for the first are forgotten.
    with override_settings(ROOT_URLCONF="tests.bokvar.urls_moved"):
        assert address("cases:edit", 1) == reverse("cases:edit", args=[1]) == "/moved/cases/1/edit/"
    assert address("cases:edit", 1) == "/cases/1/edit/"
