from __future__ import annotations

import factory

from bokvar import services
from bokvar.models import District, Role, Unit, User


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Distrikt {n}")
    code = factory.Sequence(lambda n: f"distrikt-{n}")


def make_unit(*, district: District, name: str, kind: str = Unit.Kind.ADULT) -> Unit:
    return services.create_unit(district=district, name=name, kind=kind)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def finish(self, create, extracted, **kwargs):
        if create:
            self.save()


def member(user: User, unit: Unit, role: Role | str, *, lead: bool = False) -> User:
    services.add_membership(user=user, unit=unit, role=role, is_lead=lead)
    if hasattr(user, "_bokvar_roles"):
        del user._bokvar_roles
    return user
