"""factory_boy factories for every model. Credit codes are generated valid."""

import factory
from django.contrib.auth.models import Group

from apps.accounts.models import User
from apps.enterprises import services as enterprise_services
from apps.enterprises.credit_code import make_credit_code
from apps.enterprises.models import Contact, Enterprise, Industry, Size, Tag
from apps.units.models import Unit


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"unit{n}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    short_name = factory.Sequence(lambda n: f"单位{n}")
    kind = Unit.Kind.PARK
    peer_group = Unit.PeerGroup.PARKS
    sort_order = factory.Sequence(lambda n: n)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    unit = factory.SubFactory(UnitFactory)
    password = factory.django.Password("pw-for-tests")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"标签{n}")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"南京测试{n}科技有限公司")
    credit_code = factory.Sequence(lambda n: make_credit_code("9", "1", "320111", f"T{n:07d}"))
    unit = factory.SubFactory(UnitFactory)
    industry = Industry.C
    size = Size.SMALL
    is_key = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        enterprise = super()._create(model_class, *args, **kwargs)
        enterprise_services.coverage_sync(enterprises=[enterprise])  # as enterprise_create makes its row
        return enterprise


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    mobile = factory.Sequence(lambda n: f"138{n:08d}")
    is_primary = True
