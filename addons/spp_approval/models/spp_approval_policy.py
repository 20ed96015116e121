# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

DEFAULT_CHECKER_GROUP = "spp_approval.group_approval_approver"


class SppApprovalPolicy(models.Model):
    _name = "spp.approval.policy"
    _description = "Approval Policy"
    _order = "res_model"

    name = fields.Char(required=True)
    res_model = fields.Selection(
        selection="_selection_res_model", string="Document", required=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    approval_count = fields.Integer(
        string="Approvals Required",
        default=1,
        required=True,
        help="Number of distinct approvers, none of them the creator or submitter.",
    )
    group_id = fields.Many2one(
        "res.groups",
        string="Approver Group",
        required=True,
        default=lambda self: self.env.ref(DEFAULT_CHECKER_GROUP),
    )
    tier_ids = fields.One2many("spp.approval.tier", "policy_id", string="Tiers")
    active = fields.Boolean(default=True)

    _model_company_unique = models.UniqueIndex(
        "(res_model, company_id) WHERE active",
        "Only one active approval policy per document and company.",
    )
    _approval_count_positive = models.Constraint(
        "CHECK(approval_count >= 1)", "At least one approval is required."
    )

    @api.model
    def _selection_res_model(self):
        names = self.env.registry.descendants(["spp.approval.mixin"], "_inherit")
        return sorted(
            (name, self.env[name]._description)
            for name in names
            if not self.env[name]._abstract
        )

    def _required_groups(self, amount):
        """One group per approval slot: ``approval_count`` slots of the policy's
        group, then one per tier whose threshold ``amount`` reaches."""
        self.ensure_one()
        slots = [self.group_id] * self.approval_count
        for tier in self.tier_ids.sorted("threshold"):
            if amount >= tier.threshold:
                slots.append(tier.group_id or self.group_id)
        return slots


class SppApprovalTier(models.Model):
    _name = "spp.approval.tier"
    _description = "Approval Tier"
    _order = "threshold"

    policy_id = fields.Many2one(
        "spp.approval.policy", required=True, ondelete="cascade", index=True
    )
    threshold = fields.Float(
        required=True,
        digits=(16, 2),
        help="From this document amount on, one more approval is required.",
    )
    group_id = fields.Many2one(
        "res.groups",
        string="Approver Group",
        help="Who gives this extra approval; the policy's group when empty.",
    )

    @api.constrains("threshold")
    def _check_threshold(self):
        if any(tier.threshold < 0 for tier in self):
            raise ValidationError(self.env._("A tier threshold cannot be negative."))
