# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.models import MAGIC_COLUMNS

DEFAULT_CHECKER_GROUP = "spp_approval.group_approval_approver"


class SppApprovalPolicy(models.Model):
    _name = "spp.approval.policy"
    _inherit = ["mail.thread"]
    _description = "Approval Policy"
    _order = "res_model"

    # Every setting is tracked (who changed what, before and after); documents
    # keep the policy they were submitted under (see spp.approval.mixin).
    name = fields.Char(required=True, tracking=True)
    res_model = fields.Selection(
        selection="_selection_res_model",
        string="Document",
        required=True,
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    approval_count = fields.Integer(
        string="Approvals Required",
        default=1,
        required=True,
        tracking=True,
        help="Number of distinct approvers, none of them the creator or submitter.",
    )
    group_id = fields.Many2one(
        "res.groups",
        string="Approver Group",
        required=True,
        tracking=True,
        default=lambda self: self.env.ref(DEFAULT_CHECKER_GROUP),
    )
    tier_ids = fields.One2many("spp.approval.tier", "policy_id", string="Tiers")
    active = fields.Boolean(default=True, tracking=True)

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


class SppAuditedLineMixin(models.AbstractModel):
    """Lines of an audited configuration record (tiers of a policy, columns of
    an FSP file): each creation, change and deletion is posted in the parent's
    chatter with the line before and after. Mail tracking on the parent's
    one2many would only see which lines exist, not what changed in them."""

    _name = "spp.audited.line.mixin"
    _description = "Audited Configuration Line"

    # Name of the many2one to the parent (a mail.thread).
    _spp_audit_parent = None

    def _spp_audit_fields(self):
        return [
            name
            for name, field in self._fields.items()
            if field.store
            and name not in MAGIC_COLUMNS
            and name != self._spp_audit_parent
            and field.type not in ("one2many", "many2many")
        ]

    def _spp_audit_describe(self):
        """The line as text: 'Label: value' for each audited field."""
        self.ensure_one()
        parts = []
        for name in self._spp_audit_fields():
            field = self._fields[name]
            value = self[name]
            if field.type == "many2one":
                value = value.display_name or ""
            elif field.type == "selection":
                value = dict(field._description_selection(self.env)).get(value, "")
            elif value is False and field.type != "boolean":
                value = ""
            parts.append(f"{field._description_string(self.env)}: {value}")
        return "; ".join(parts)

    def _spp_audit_snapshot(self):
        """{line id: (parent, description)} of these lines."""
        return {
            line.id: (line[self._spp_audit_parent], line._spp_audit_describe())
            for line in self.sudo()
        }

    def _spp_audit_post(self, before, after):
        """Post one message per parent listing its lines as they were and are."""
        changes = {}
        for line_id in dict.fromkeys([*before, *after]):
            parent, old = before.get(line_id, (None, None))
            parent_after, new = after.get(line_id, (parent, None))
            if old != new:
                changes.setdefault(parent or parent_after, []).append((old, new))
        none, deleted = self.env._("(none)"), self.env._("(deleted)")
        for parent, pairs in changes.items():
            items = Markup("").join(
                Markup("<li>%s &#8594; %s</li>") % (old or none, new or deleted)
                for old, new in pairs
            )
            # Whoever may change the lines may say so on the parent.
            parent.sudo().message_post(
                body=Markup("%s<ul>%s</ul>")
                % (self.env._("%s changed:", self._description), items)
            )

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._spp_audit_post({}, lines._spp_audit_snapshot())
        return lines

    def write(self, vals):
        before = self._spp_audit_snapshot()
        result = super().write(vals)
        self._spp_audit_post(before, self._spp_audit_snapshot())
        return result

    def unlink(self):
        before = self._spp_audit_snapshot()
        result = super().unlink()
        self._spp_audit_post(before, {})
        return result


class SppApprovalTier(models.Model):
    _name = "spp.approval.tier"
    _inherit = ["spp.audited.line.mixin"]
    _description = "Approval Tier"
    _order = "threshold"
    _spp_audit_parent = "policy_id"

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
