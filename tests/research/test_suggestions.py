"""Carrier suggestions for a result on a hand-made dataset: industry fit 50 / open to any industry 20 /
other 0; area 30 when the free area covers the need, 30 × free ÷ need rounded half up to 0.1 when short,
15 when no need is stated; 20 in the owning entity's park; no carrier without free area; ties go to more
free area, then the older record."""

from decimal import Decimal

import pytest

from apps.research.models import Carrier
from apps.research.services import suggest_carriers

from .factories import CarrierFactory, EntityFactory, ResultFactory

pytestmark = pytest.mark.django_db


def ranking(result) -> list[tuple[str, Decimal, int]]:
    return [
        (s.carrier.name, s.score, len(s.reasons)) for s in suggest_carriers(result, Carrier.objects.all())
    ]


@pytest.fixture
def result(unit_a):
    """A manufacturing (C) result needing 800 m², owned by an entity in park A."""
    entity = EntityFactory(unit=unit_a, park=unit_a)
    result = ResultFactory(entity=entity, unit=unit_a, industry="C", need_space_m2=Decimal("800"))
    result.refresh_from_db()  # the need as stored: Decimal("800.00")
    return result


@pytest.fixture
def carriers(unit_a, unit_b):
    return {
        "fit": CarrierFactory(
            name="研创园孵化器A", park=unit_a, industries=["C", "I"], free_area_m2=Decimal("1000")
        ),
        "any": CarrierFactory(name="医药谷科创大厦", park=unit_b, industries=[], free_area_m2=Decimal("600")),
        "other": CarrierFactory(
            name="研创园加速器B", park=unit_a, industries=["M"], free_area_m2=Decimal("900")
        ),
        "short": CarrierFactory(
            name="医药谷标准厂房", park=unit_b, industries=["C"], free_area_m2=Decimal("333")
        ),
        "full": CarrierFactory(
            name="研创园标准厂房", park=unit_a, industries=["C"], free_area_m2=Decimal("0")
        ),
    }


def test_carriers_are_ranked_by_industry_area_and_park_with_exact_scores(result, carriers):
    assert ranking(result) == [
        ("研创园孵化器A", Decimal("100"), 3),  # 50 industry + 30 area + 20 park
        ("医药谷标准厂房", Decimal("62.5"), 2),  # 50 + 30 × 333 ÷ 800 = 12.4875 → 12.5
        ("研创园加速器B", Decimal("50"), 3),  # 0 other industry + 30 + 20 park
        ("医药谷科创大厦", Decimal("42.5"), 2),  # 20 any industry + 30 × 600 ÷ 800 = 22.5
    ]


def test_a_carrier_without_free_area_is_never_suggested(result, carriers):
    assert "研创园标准厂房" not in [s.carrier.name for s in suggest_carriers(result, Carrier.objects.all())]


def test_every_score_is_explained_by_its_reasons(result, carriers):
    reasons = {s.carrier.name: s.reasons for s in suggest_carriers(result, Carrier.objects.all())}

    assert reasons["研创园孵化器A"] == [
        "suits the result's industry (+50)",
        "1000.00 m² free covers the 800.00 m² needed (+30)",
        "in the entity's own park (+20)",
    ]
    assert reasons["医药谷科创大厦"] == [
        "open to any industry (+20)",
        "only 600.00 of the 800.00 m² needed (+22.5)",
    ]
    assert reasons["研创园加速器B"][0] == "meant for other industries (+0)"


def test_free_area_exactly_the_need_scores_full_area_points(result, unit_b):
    CarrierFactory(name="刚好够", park=unit_b, industries=["M"], free_area_m2=Decimal("800"))
    CarrierFactory(name="差一点", park=unit_b, industries=["M"], free_area_m2=Decimal("799.99"))

    assert ranking(result) == [("刚好够", Decimal("30"), 2), ("差一点", Decimal("30.0"), 2)]


@pytest.mark.parametrize(
    ("free", "need", "points"),
    [
        ("5", "600", Decimal("0.3")),  # 0.25 → 0.3 half up (half-even would give 0.2)
        ("1", "600", Decimal("0.1")),  # 0.05 → 0.1
        ("3", "600", Decimal("0.2")),  # 0.15 → 0.2
        ("299", "600", Decimal("15.0")),  # 14.95 → 15.0
        ("0.01", "600", Decimal("0.0")),  # 0.0005 → 0.0
    ],
)
def test_a_short_carrier_scores_area_pro_rata_rounded_half_up(unit_a, unit_b, free, need, points):
    result = ResultFactory(unit=unit_a, industry="C", need_space_m2=Decimal(need))  # entity without a park
    CarrierFactory(name="载体", park=unit_b, industries=["M"], free_area_m2=Decimal(free))

    [suggestion] = suggest_carriers(result, Carrier.objects.all())

    assert suggestion.score == points
    assert str(suggestion.score) == str(points)


def test_a_result_without_a_space_need_gives_every_carrier_15_area_points(unit_a, unit_b):
    result = ResultFactory(unit=unit_a, entity=EntityFactory(unit=unit_a, park=unit_b), need_space_m2=None)
    CarrierFactory(name="园外其他行业", park=unit_a, industries=["M"], free_area_m2=Decimal("10"))
    CarrierFactory(name="园内不限行业", park=unit_b, industries=[], free_area_m2=Decimal("10"))

    assert ranking(result) == [("园内不限行业", Decimal("55"), 3), ("园外其他行业", Decimal("15"), 2)]
    assert suggest_carriers(result, Carrier.objects.all())[1].reasons[1] == "no space need stated (+15)"


def test_an_entity_without_a_park_gives_no_park_points(unit_a):
    result = ResultFactory(
        unit=unit_a, entity=EntityFactory(unit=unit_a, park=None), need_space_m2=Decimal("100")
    )
    CarrierFactory(name="研创园孵化器", park=unit_a, industries=["C"], free_area_m2=Decimal("100"))

    assert ranking(result) == [("研创园孵化器", Decimal("80"), 2)]


def test_ties_go_to_more_free_area_then_to_the_older_carrier(unit_a, unit_b):
    result = ResultFactory(unit=unit_a, industry="C", need_space_m2=None)
    small = CarrierFactory(name="小", park=unit_b, industries=["C"], free_area_m2=Decimal("700"))
    big_old = CarrierFactory(name="大-先", park=unit_b, industries=["C"], free_area_m2=Decimal("900"))
    big_new = CarrierFactory(name="大-后", park=unit_b, industries=["C"], free_area_m2=Decimal("900"))
    assert small.pk < big_old.pk < big_new.pk

    # the order in which the carriers come in does not matter
    for carriers in (Carrier.objects.order_by("pk"), Carrier.objects.order_by("-pk")):
        assert [(s.carrier.name, s.score) for s in suggest_carriers(result, carriers)] == [
            ("大-先", Decimal("65")),
            ("大-后", Decimal("65")),
            ("小", Decimal("65")),
        ]


def test_no_carrier_with_free_space_means_no_suggestion(result, unit_a):
    CarrierFactory(park=unit_a, industries=["C"], free_area_m2=Decimal("0"))

    assert suggest_carriers(result, Carrier.objects.all()) == []
