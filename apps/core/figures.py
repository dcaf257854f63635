"""What every campaign's figures are made of: a value with its label and its definition beside it, and the
brief's rounding (percentages to one decimal place, rounded half up)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: int | Decimal | None
    definition: str
    unit: str = ""  # "%" for rates, "" for counts

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value}{self.unit}"


def one_decimal(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def pct(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """numerator ÷ denominator as a percentage, one decimal, rounded half up; None when nothing to measure."""
    if not denominator:
        return None
    return one_decimal(Decimal(numerator) * 100 / Decimal(denominator))


def mean(total: int | Decimal, count: int) -> Decimal | None:
    """total ÷ count to one decimal, None when there is nothing to average."""
    return one_decimal(Decimal(total) / count) if count else None


def figures(values: dict, definitions: dict, *, rates: set[str] | None = None) -> list[Figure]:
    """The values of a campaign as Figures, in the order of its definitions (label, definition) — rates end
    in `_pct` unless `rates` names them."""
    return [
        Figure(
            key, label, values[key], definition, "%" if key in (rates or ()) or key.endswith("_pct") else ""
        )
        for key, (label, definition) in definitions.items()
    ]
