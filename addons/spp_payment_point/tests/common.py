# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64

from odoo.addons.spp_payment_base.tests.common import SppBaseCommon


class SppPointCommon(SppBaseCommon):
    """Areas Kisumu (with the sub-area Kondele ward) and Nairobi, and five
    enrolled households of the program: three in Kisumu (two of the village
    Kondele, one in the ward), two in Nairobi (one suspended)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Area = cls.env["spp.area"]
        cls.kisumu = Area.create({"name": "Kisumu", "code": "KSM"})
        cls.ward = Area.create(
            {"name": "Kondele ward", "code": "KSM-KON", "parent_id": cls.kisumu.id}
        )
        cls.nairobi = Area.create({"name": "Nairobi", "code": "NRB"})
        cls.household.write({"city": "Kondele", "area_id": cls.kisumu.id})
        people = [
            ("HH-0002", "Kondele", cls.ward, "enrolled"),
            ("HH-0003", "Manyatta", cls.kisumu, "enrolled"),
            ("HH-0004", "Kibera", cls.nairobi, "enrolled"),
            ("HH-0005", "Kibera", cls.nairobi, "suspended"),
        ]
        cls.members = cls.membership
        for number, city, area, state in people:
            household = cls._create_household(number, city=city, area_id=area.id)
            cls.members |= cls.env["spp.program.membership"].create(
                {
                    "program_id": cls.program.id,
                    "partner_id": household.id,
                    "fsp_id": cls.fsp.id,
                    "state": state,
                }
            )
        cls.officer = cls.users["program_officer"]
        cls.checker = cls.users["finance_manager"]
        cls.Point = cls.env["spp.payment.point"].with_user(cls.officer)
        cls.Manager = cls.env["spp.payment.point.manager"].with_user(cls.officer)

    @classmethod
    def _point(cls, code="P-1", **vals):
        return cls.Point.create(
            {
                "name": f"Point {code}",
                "code": code,
                "program_id": cls.program.id,
                "criteria_domain": "[('partner_id.city', '=', 'Kondele')]",
                **vals,
            }
        )

    @classmethod
    def _approved_point(cls, code="P-1", **vals):
        point = cls._point(code, **vals)
        point.action_submit()
        point.with_user(cls.checker).action_approve()
        return point

    @classmethod
    def _import(cls, data, file_name="points.csv", user=None):
        if isinstance(data, str):
            data = data.encode()
        wizard = (
            cls.env["spp.payment.point.import"]
            .with_user(user or cls.officer)
            .create(
                {
                    "program_id": cls.program.id,
                    "data": base64.b64encode(data),
                    "file_name": file_name,
                }
            )
        )
        wizard.action_import()
        return wizard
