# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import new_test_user

from odoo.addons.spp_approval.tools import guarded_write
from odoo.addons.spp_payroll.tests.common import SppPayrollCommon

PPM_GROUP = "spp_payment_point.group_spp_ppm"


class SppPpmPayrollCommon(SppPayrollCommon):
    """Areas North and South with cash members, a cash FSP, points serving
    each area (criteria on the member's area), PPMs allowed to serve them, and
    a cycle with a carry limit whose payments are 50, or 30 without the
    top-up."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cash_fsp = cls.env["spp.fsp"].create(
            {"name": "Cash Points", "provider": "cash", "state": "enabled"}
        )
        cls._fund(cls.cash_fsp)
        area = cls.env["spp.area"]
        cls.north = area.create({"name": "North", "code": "N"})
        cls.south = area.create({"name": "South", "code": "S"})
        cls.east = area.create({"name": "East", "code": "E"})
        cls.point_north = cls._point("PN", cls.north)
        cls.point_south = cls._point("PS", cls.south)
        cls.ppm_a = cls._ppm("ppm_a", cls.point_north | cls.point_south)
        cls.ppm_b = cls._ppm("ppm_b", cls.point_north)
        cls.ppm_c = cls._ppm("ppm_c", cls.point_south)

    @classmethod
    def _approved(cls, record):
        """Approved without its maker-checker round (tested in
        spp_payment_point and once here)."""
        with guarded_write("approval"):
            record.write({"approval_state": "approved"})
        return record

    @classmethod
    def _point(cls, code, area, approve=True, criteria=None):
        point = cls.env["spp.payment.point"].create(
            {
                "name": f"Point {code}",
                "code": code,
                "area_id": area.id,
                "criteria_domain": criteria
                or f"[('partner_id.area_id', '=', {area.id})]",
            }
        )
        return cls._approved(point) if approve else point

    @classmethod
    def _ppm(cls, login, points, approve=True, **vals):
        user = new_test_user(cls.env, login=login, groups=PPM_GROUP)
        manager = cls.env["spp.payment.point.manager"].create(
            {"name": login.upper(), "user_id": user.id, "point_ids": points.ids, **vals}
        )
        return cls._approved(manager) if approve else manager

    @classmethod
    def _cash_members(cls, area, count, topped_up=None, prefix="C"):
        """``count`` cash members in ``area``; the first ``topped_up`` (all by
        default) get the 20 top-up: 50 instead of 30."""
        topped_up = count if topped_up is None else topped_up
        partners = cls.env["res.partner"]
        for n in range(count):
            partners |= cls._create_household(
                f"{prefix}-{area.code}-{n}",
                area_id=area.id,
                has_disability=n < topped_up,
            )
        return cls.env["spp.program.membership"].create(
            [
                {
                    "program_id": cls.program.id,
                    "partner_id": partner.id,
                    "channel": "payment_point",
                }
                for partner in partners
            ]
        )

    @classmethod
    def _ppm_cycle(cls, limit=100.0, name="2026-12"):
        return cls._approve(
            cls._create_cycle(
                name=name,
                date_start="2026-12-01",
                date_end="2026-12-31",
                fixed_amount=30.0,
                ppm_carry_limit=limit,
                rule_ids=[
                    (
                        0,
                        0,
                        {
                            "name": "Top-up",
                            "code": "topup",
                            "amount": 20.0,
                            "condition": "[('partner_id.has_disability', '=', True)]",
                        },
                    )
                ],
            )
        )

    @classmethod
    def _ppm_payroll(cls, cycle, **vals):
        """A generated PPM payroll of the members with an area (the fixture's
        HH-CASH member has none)."""
        payroll = cls._new_payroll(
            cycle,
            kind="payment_point",
            member_domain="[('partner_id.area_id', '!=', False)]",
            **vals,
        )
        payroll.action_generate()
        return payroll

    def _officer(self, record):
        return record.with_user(self.users["program_officer"])
