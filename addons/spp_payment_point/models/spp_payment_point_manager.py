# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

PPM_GROUP = "spp_payment_point.group_spp_ppm"


class SppPaymentPointManager(models.Model):
    """A person who carries cash to payment points and hands it out: a portal
    user in the PPM group, who never reads the registry through the web client
    (the PPM app's controllers serve them their own assignments only)."""

    _name = "spp.payment.point.manager"
    _inherit = ["spp.approval.mixin", "mail.activity.mixin"]
    _description = "Payment Point Manager"
    _order = "name, id"
    # Suspending needs no approval (the PPM serves nobody); see write().
    _spp_approval_writable_fields = frozenset({"state"})

    name = fields.Char(required=True, tracking=True)
    user_id = fields.Many2one(
        "res.users", required=True, index=True, ondelete="restrict", tracking=True
    )
    # Given instead of a user on creation: the portal user is created with it.
    login = fields.Char(related="user_id.login", readonly=False)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    phone = fields.Char(tracking=True)
    id_number = fields.Char(string="ID Number", tracking=True)
    point_ids = fields.Many2many(
        "spp.payment.point",
        "spp_payment_point_manager_rel",
        "manager_id",
        "point_id",
        string="Payment Points",
    )
    point_count = fields.Integer(compute="_compute_point_count")
    state = fields.Selection(
        [("active", "Active"), ("suspended", "Suspended")],
        default="active",
        required=True,
        tracking=True,
    )

    _user_unique = models.Constraint(
        "UNIQUE(user_id)", "A user manages payment points under one record only."
    )

    @api.depends("point_ids")
    def _compute_point_count(self):
        for manager in self:
            manager.point_count = len(manager.point_ids)

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")
        for vals in vals_list:
            login = (vals.pop("login", None) or "").strip()
            if not vals.get("user_id"):
                if not login:
                    raise UserError(
                        self.env._(
                            "A payment point manager needs a user: choose one, or "
                            "give a login to create their portal user."
                        )
                    )
                vals["user_id"] = self._spp_create_portal_user(vals, login).id
        managers = super().create(vals_list)
        managers._spp_grant_ppm_group()
        return managers

    def write(self, vals):
        if "login" in vals:
            if any(m.login != vals["login"] for m in self):
                raise UserError(
                    self.env._("A login is changed on the user, by an administrator.")
                )
            vals = {k: v for k, v in vals.items() if k != "login"}
        if vals.get("state") == "active" and self.filtered(
            lambda m: m.approval_state != "draft" and m.state != "active"
        ):
            raise UserError(
                self.env._(
                    "A suspended payment point manager is reinstated only through a "
                    "new manager record approved again."
                )
            )
        result = super().write(vals)
        if "user_id" in vals:
            self._spp_grant_ppm_group()
        return result

    def _spp_create_portal_user(self, vals, login):
        """A portal user in the PPM group: the officer creating the manager has
        no right on users, so the suite creates it, with nothing but a login,
        a name, a phone and the manager's company."""
        company = self.env["res.company"].browse(
            vals.get("company_id") or self.env.company.id
        )
        if company not in self.env.user.company_ids:
            raise UserError(self.env._("You cannot create users for %s.", company.name))
        Users = self.env["res.users"].sudo().with_context(no_reset_password=True)
        if Users.with_context(active_test=False).search_count(
            [("login", "=", login)], limit=1
        ):
            raise UserError(self.env._("The login %s is already taken.", login))
        return Users.create(
            {
                "name": vals.get("name") or login,
                "login": login,
                "phone": vals.get("phone") or False,
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "group_ids": [Command.set([self.env.ref(PPM_GROUP).id])],
            }
        )

    def _spp_grant_ppm_group(self):
        group = self.env.ref(PPM_GROUP)
        users = self.user_id.filtered(lambda u: group not in u.group_ids)
        if users:
            users.sudo().write({"group_ids": [Command.link(group.id)]})

    @api.constrains("user_id")
    def _check_user_portal(self):
        for manager in self:
            if not manager.user_id.share:
                raise ValidationError(
                    self.env._(
                        "%(user)s is an internal user: a payment point manager is a "
                        "portal user, who cannot read the registry.",
                        user=manager.user_id.name,
                    )
                )

    def _spp_check_can_submit(self):
        points = self.point_ids
        if not points:
            raise UserError(
                self.env._("%s serves no payment point yet.", self.display_name)
            )
        wrong = points.filtered(
            lambda p: (
                p.approval_state != "approved"
                or p.state != "active"
                or p.company_id != self.company_id
            )
        )
        if wrong:
            raise UserError(
                self.env._(
                    "%(manager)s can only serve active, approved points of their "
                    "company; not %(points)s.",
                    manager=self.display_name,
                    points=", ".join(wrong.mapped("display_name")),
                )
            )

    def action_suspend(self):
        self.write({"state": "suspended"})
        return True

    def action_open_points(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Points of %s", self.display_name),
            "res_model": "spp.payment.point",
            "view_mode": "list,form",
            "domain": [("id", "in", self.point_ids.ids)],
        }
