# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re

from spp_payment_core.points import CODE_PATTERN, criteria_domain

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.spp_payment_point import MEMBERSHIP


class SppPaymentPointGenerate(models.TransientModel):
    """One payment point per distinct value of a membership or registrant
    field among a program's enrolled members (one per village, per area...):
    one grouped count, one batched insert, every point submitted for approval."""

    _name = "spp.payment.point.generate"
    _description = "Create Payment Points per Value"

    program_id = fields.Many2one("spp.program", required=True)
    field_path = fields.Selection(
        "_selection_field_path",
        string="One point per",
        required=True,
        default="partner_id.area_id",
    )
    code_prefix = fields.Char(
        help="Codes are <prefix>-<value>; the program's code by default."
    )
    created_count = fields.Integer(readonly=True)
    skipped_count = fields.Integer(
        readonly=True, help="Values whose point code already exists: left as they are."
    )
    unset_count = fields.Integer(
        string="Members without a value",
        readonly=True,
        help="Enrolled members whose field is empty: no point serves them.",
    )
    point_ids = fields.Many2many("spp.payment.point", readonly=True)

    @api.model
    def _selection_field_path(self):
        return self.env["spp.payment.point"]._spp_criteria_candidates()

    def action_generate(self):
        self.ensure_one()
        Point = self.env["spp.payment.point"]
        Point.check_access("create")
        spec = Point._spp_criteria_field(self.field_path)
        if isinstance(spec, str):
            raise UserError(
                self.env._("%(path)s: %(why)s", path=self.field_path, why=spec)
            )
        groups = self.env[MEMBERSHIP]._read_group(
            [("program_id", "=", self.program_id.id), ("state", "=", "enrolled")],
            groupby=[self.field_path],
            aggregates=["__count"],
        )
        prefix = (self.code_prefix or self.program_id.code or "PP").strip()
        company = self.program_id.company_id
        comodel = (
            Point._spp_path_comodel(self.field_path)
            if spec.kind == "many2one"
            else None
        )
        is_area = comodel is not None and comodel._name == "spp.area"
        unset, wanted = 0, {}
        for value, count in groups:
            if value is False or value is None or value == "":
                unset += count
                continue
            key = value.id if spec.kind == "many2one" else value
            label = value.display_name if spec.kind == "many2one" else str(value)
            if spec.kind == "selection":
                label = dict(spec.choices).get(value, label)
            slug = _slug(
                getattr(value, spec.key_name, False)
                if spec.kind == "many2one"
                else value
            ) or str(key)
            code = _unique_code(f"{prefix}-{slug}", wanted)
            wanted[code] = (key, label)
        existing = set(
            Point.with_context(active_test=False)
            .search([("company_id", "=", company.id), ("code", "in", list(wanted))])
            .mapped("code")
        )
        vals_list = [
            {
                "name": label,
                "code": code,
                "company_id": company.id,
                "program_id": self.program_id.id,
                "area_id": key if is_area else False,
                "criteria_domain": repr(
                    criteria_domain([(self.field_path, spec, [key])])
                ),
            }
            for code, (key, label) in wanted.items()
            if code not in existing
        ]
        created = Point.create(vals_list)
        created.action_submit()
        self.write(
            {
                "created_count": len(created),
                "skipped_count": len(existing),
                "unset_count": unset,
                "point_ids": [fields.Command.set(created.ids)],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Created payment points"),
            "res_model": "spp.payment.point",
            "view_mode": "list,form",
            "domain": [("id", "in", created.ids)],
        }


def _slug(value):
    text = re.sub(r"[^A-Za-z0-9._/-]+", "-", str(value or "")).strip("-._/")
    return text.upper()[:48]


def _unique_code(code, taken):
    code = code[:60]
    if not CODE_PATTERN.match(code):
        code = re.sub(r"^[^A-Za-z0-9]+", "", code) or "PP"
    candidate, n = code, 2
    while candidate in taken:
        candidate, n = f"{code}-{n}", n + 1
    return candidate
