"""The physical rules validation, model and checker share: rack fit, site eligibility."""

from __future__ import annotations

import pytest

from aiopt.rules import rack_fit_issue, site_lacks

TIER = {"cooling": "air", "node_kw": 10.2, "rack_units": 8}


@pytest.mark.parametrize(
    ("tier", "rack", "issue"),
    [
        (TIER, {"id": "a", "cooling": "air", "usable_kw": 40, "rack_units": 42}, None),
        (TIER, {"id": "r", "cooling": "rear_door", "usable_kw": 40, "rack_units": 42}, None),
        (
            TIER,
            {"id": "l", "cooling": "liquid", "usable_kw": 130, "rack_units": 48},
            "l is liquid-cooled (node needs air)",
        ),
        (
            TIER | {"cooling": "either"},
            {"id": "l", "cooling": "liquid", "usable_kw": 130, "rack_units": 48},
            None,
        ),
        (
            TIER,
            {"id": "a", "cooling": "air", "usable_kw": 10, "rack_units": 42},
            "a has 10 kW usable (node draws 10.2 kW)",
        ),
        (TIER, {"id": "a", "cooling": "air", "usable_kw": 40, "rack_units": 6}, "a has 6 U (node takes 8 U)"),
    ],
)
def test_rack_fit_issue(tier, rack, issue):
    assert rack_fit_issue(tier, rack) == issue


def test_site_lacks():
    site = {"certifications": ("soc2",), "region": "us", "tenancy": "shared"}
    assert site_lacks(site, {"compliance": (), "region": None, "dedicated": False}) == []
    lacks = site_lacks(site, {"compliance": ("soc2", "hipaa-ready"), "region": "eu", "dedicated": True})
    assert [name for name, _ in lacks] == ["compliance", "region", "dedicated"]
