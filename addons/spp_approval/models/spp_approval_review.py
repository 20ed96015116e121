# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppApprovalReview(models.Model):
    """One decision on one submission of a document; never edited afterwards."""

    _name = "spp.approval.review"
    _description = "Approval Review"
    _order = "id desc"

    res_model = fields.Char(string="Document Model", required=True, index=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", required=True, index=True
    )
    submission_no = fields.Integer(required=True)
    user_id = fields.Many2one("res.users", string="Reviewer", required=True)
    group_id = fields.Many2one("res.groups", string="As Member Of")
    decision = fields.Selection(
        [("approve", "Approved"), ("reject", "Rejected")], required=True
    )
    comment = fields.Text()
    date = fields.Datetime(required=True, default=fields.Datetime.now)

    _one_approval_per_user = models.UniqueIndex(
        "(res_model, res_id, submission_no, user_id) WHERE decision = 'approve'",
        "You have already approved this submission.",
    )
