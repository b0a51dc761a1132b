"""Demo households and cases: fictional people with valid test identity numbers."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from bokvar.demo import DemoContext
from bokvar.models import Unit

from . import services
from .demo_numbers import TEST_PERSONAL_NUMBERS
from .models import Case, ProtectedIdentity

WOMEN = [
    "Anna",
    "Maria",
    "Fatima",
    "Eva",
    "Sara",
    "Aisha",
    "Karin",
    "Lena",
    "Emma",
    "Hanna",
    "Amina",
    "Ingrid",
]
MEN = [
    "Erik",
    "Mohammed",
    "Lars",
    "Johan",
    "Ali",
    "Anders",
    "Per",
    "Hassan",
    "Mikael",
    "Omar",
    "Karl",
    "Nils",
]
FAMILY = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Hussein",
    "Ahmed",
    "Lindberg",
    "Lindström",
    "Axelsson",
    "Berglund",
]
STREETS = [
    "Dalagatan",
    "Upplandsgatan",
    "Västmannagatan",
    "Odengatan",
    "Karlbergsvägen",
    "Sankt Eriksgatan",
    "Torsgatan",
    "Norrtullsgatan",
    "Vanadisvägen",
    "Rörstrandsgatan",
]
LANGUAGES = ["arabiska", "somaliska", "tigrinja", "persiska", "finska"]


def luhn_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10


def fake_personal_number(rng, year: int, *, female: bool) -> str:
    """A test personal identity number from Skatteverket's list (never a real person's),
    of the given sex, born as near `year` as the list allows and not yet registered."""
    from .models import Person
    from .selectors import personal_number_index

    wanted = [n for n in TEST_PERSONAL_NUMBERS if (int(n[10]) % 2 == 0) == female]
    wanted.sort(key=lambda n: (abs(int(n[:4]) - year), rng.random()))
    for number in wanted:
        canonical = f"{number[:8]}-{number[8:]}"
        if not Person.objects.filter(
            personal_number_bidx=personal_number_index(canonical)
        ).exists():
            return canonical
    raise RuntimeError("every test personal identity number is already registered")


def random_personal_number(rng, year: int, *, female: bool) -> str:
    """A random valid number, for benchmark volumes only: far more people than the
    published test numbers, in a throw-away database never shown to anyone. Such a
    number may belong to a real person, so demo data never uses it."""
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    serial = rng.randint(10, 99) * 10 + (
        rng.choice([0, 2, 4, 6, 8]) if female else rng.choice([1, 3, 5, 7, 9])
    )
    short = f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}"
    return f"{year}{month:02d}{day:02d}-{serial:03d}{luhn_digit(short)}"


def fake_person(rng, *, female: bool, year: int, protected: bool = False) -> services.PersonData:
    given = rng.choice(WOMEN if female else MEN)
    family = rng.choice(FAMILY)
    interpreter = rng.random() < 0.15
    return services.PersonData(
        given_name=given,
        family_name=family,
        personal_number=fake_personal_number(rng, year, female=female),
        address=f"{rng.choice(STREETS)} {rng.randint(1, 90)}\n113 {rng.randint(10, 69)} Stockholm",
        phone=f"070-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        email=f"{given.lower()}.{family.lower()}@example.se".replace("ö", "o")
        .replace("ä", "a")
        .replace("å", "a"),
        needs_interpreter=interpreter,
        interpreter_language=rng.choice(LANGUAGES) if interpreter else "",
        notes=rng.choice(
            [
                "Hyresskuld sedan tre månader. Vill ha hjälp med ansökan om försörjningsstöd.",
                "Har kontakt med beroendevården. Behöver stöd med ekonomin.",
                "Grannklagomål på störningar. Hyresvärden har skickat varning.",
                "Bor i andrahand utan kontrakt. Söker boende.",
                "",
            ]
        ),
        sex="F" if female else "M",
        protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION
        if protected
        else ProtectedIdentity.NONE,
        protected_identity_noted_on=timezone.localdate() - timedelta(days=200)
        if protected
        else None,
    )


# Where the 40 demo cases sit: (unit kind, demo assignee usernames)
PLACES = [
    (Unit.Kind.HOUSING_TEAM, ["coordinator"]),
    (Unit.Kind.HOUSING_TEAM, ["coordinator", "guide"]),
    (Unit.Kind.ADULT, ["caseworker"]),
    (Unit.Kind.INCOME_SUPPORT, ["caseworker2"]),
    (Unit.Kind.SOCIAL_PSYCHIATRY, []),
    (Unit.Kind.ELDERLY_CARE, []),
    (Unit.Kind.YOUNG_ADULTS, []),
    (Unit.Kind.HOUSING_TEAM, ["guide"]),
]


def seed(ctx: DemoContext) -> None:
    if Case.objects.exists():
        ctx.log("Cases: already present, left as they are.")
        return
    rng = ctx.rng
    today = timezone.localdate()
    actor = ctx.users["coordinator"]
    for index in range(40):
        unit_kind, assignee_names = PLACES[index % len(PLACES)]
        protected = index in (5, 22)
        female = rng.random() < 0.55
        people = [
            fake_person(rng, female=female, year=rng.randint(1950, 2002), protected=protected)
        ]
        if rng.random() < 0.35:
            people.append(fake_person(rng, female=not female, year=rng.randint(1955, 2002)))
        children = (
            sorted(rng.randint(today.year - 17, today.year) for _ in range(rng.randint(1, 3)))
            if index % 3 == 0
            else []
        )
        services.create_case(
            actor=actor,
            kind=Case.Kind.HOMELESSNESS if index % 5 == 4 else Case.Kind.EVICTION_PREVENTION,
            responsible_unit=ctx.units[unit_kind],
            assignees=[ctx.users[name] for name in assignee_names],
            people=people,
            children_birth_years=children,
            opened_on=today - timedelta(days=rng.randint(3, 330)),
            reason="demo data",
        )
    ctx.log("Cases: 40 demo households and cases.")
