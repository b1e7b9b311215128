"""The demo province: one province office, 11 districts, 152 communes, and their groups.

Codes follow QCVN 102:2016 in shape (dot-separated groups): the province office is
``000.00.00.H53``, district *d* is ``000.00.DD.H53`` and commune *c* of that district is
``000.CC.DD.H53``. Groups: ``XA.DD.H53`` (the communes of district DD, a children group)
and ``XA.ALL.H53`` (every commune).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DemoProvince", "DemoUnit", "build_province"]

PROVINCE_CODE = "000.00.00.H53"
ALL_COMMUNES_GROUP = "XA.ALL.H53"


@dataclass(frozen=True, slots=True)
class DemoUnit:
    """One unit of the demo directory."""

    code: str
    name: str
    parent: str | None


@dataclass(frozen=True)
class DemoProvince:
    """The demo directory: units in parent-first order, districts, communes, groups."""

    province: DemoUnit
    districts: tuple[DemoUnit, ...]
    communes: tuple[DemoUnit, ...]
    district_groups: dict[str, str] = field(default_factory=dict)  # group code → district
    all_communes_group: str = ALL_COMMUNES_GROUP

    @property
    def units(self) -> tuple[DemoUnit, ...]:
        """Every unit, parents before children."""
        return (self.province, *self.districts, *self.communes)

    def communes_of(self, district: str) -> tuple[DemoUnit, ...]:
        """The communes whose parent is ``district``."""
        return tuple(c for c in self.communes if c.parent == district)


def build_province(districts: int = 11, communes: int = 152) -> DemoProvince:
    """A province with ``districts`` districts and ``communes`` communes spread evenly."""
    province = DemoUnit(PROVINCE_CODE, "UBND tỉnh Liên Thông (demo)", None)
    district_units = tuple(
        DemoUnit(f"000.00.{31 + d:02d}.H53", f"UBND huyện {d + 1}", PROVINCE_CODE)
        for d in range(districts)
    )
    commune_units: list[DemoUnit] = []
    per, extra = divmod(communes, districts)
    for d, district in enumerate(district_units):
        for c in range(per + (1 if d < extra else 0)):
            code = f"000.{c + 1:02d}.{31 + d:02d}.H53"
            commune_units.append(DemoUnit(code, f"UBND xã {c + 1}, huyện {d + 1}", district.code))
    groups = {f"XA.{31 + d:02d}.H53": u.code for d, u in enumerate(district_units)}
    return DemoProvince(province, district_units, tuple(commune_units), groups)
