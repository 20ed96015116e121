# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core import voucher_token as vt

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

ADMIN = "spp_payment_base.group_spp_admin"


class SppVoucherKey(models.Model):
    """A program's Ed25519 signing key. Vouchers name the key that signed them
    (``kid``), so a rotated key keeps its old vouchers verifiable: only the
    active key signs, every non-revoked key verifies."""

    _name = "spp.voucher.key"
    _inherit = ["mail.thread"]
    _description = "Voucher Signing Key"
    _order = "id desc"

    name = fields.Char(required=True)
    kid = fields.Char(string="Key ID", required=True, readonly=True, index=True)
    program_id = fields.Many2one("spp.program", required=True, index=True)
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    public_key = fields.Char(
        string="Public Key (raw, base64url)", required=True, readonly=True
    )
    # Administrators only (field groups): the private key never leaves the server.
    private_key = fields.Char(
        readonly=True, groups="spp_payment_base.group_spp_admin", copy=False
    )
    state = fields.Selection(
        [("active", "Signing"), ("retired", "Verifying only"), ("revoked", "Revoked")],
        default="active",
        required=True,
        readonly=True,
        tracking=True,
    )

    _kid_unique = models.Constraint("UNIQUE(kid)", "A key ID is used once.")
    _one_active = models.UniqueIndex(
        "(program_id) WHERE state = 'active'", "A program signs with one key."
    )

    @api.model_create_multi
    def create(self, vals_list):
        """A key is generated here, whatever the caller sends: nobody imports a
        private key (it would be known outside)."""
        self._spp_check_admin()
        for vals in vals_list:
            private, public = vt.new_keypair()
            vals.update(
                kid=vt.new_kid(),
                private_key=private,
                public_key=public,
                state="active",
            )
            vals.setdefault("name", self.env._("Voucher key"))
        for vals in vals_list:
            self.sudo().search(
                [("program_id", "=", vals["program_id"]), ("state", "=", "active")]
            ).write({"state": "retired"})
        self.env.flush_all()  # retired before the new key is inserted
        return super().create(vals_list)

    def write(self, vals):
        if set(vals) & {"kid", "public_key", "private_key", "program_id"}:
            raise UserError(self.env._("A key's material never changes; rotate it."))
        return super().write(vals)

    def _spp_check_admin(self):
        if not (self.env.su or self.env.user.has_group(ADMIN)):
            raise AccessError(
                self.env._("Only a Payments Administrator manages voucher keys.")
            )

    def action_rotate(self):
        """A new signing key for the program; this one keeps verifying."""
        self.ensure_one()
        self._spp_check_admin()
        if self.state != "active":
            raise UserError(self.env._("Only the signing key is rotated."))
        return self.create({"program_id": self.program_id.id, "name": self.name})

    def action_revoke(self):
        """Tokens of a revoked key are refused (a leaked key)."""
        self._spp_check_admin()
        self.write({"state": "revoked"})
        return True

    @api.model
    def _spp_active_key(self, program, create=False):
        key = self.sudo().search(
            [("program_id", "=", program.id), ("state", "=", "active")], limit=1
        )
        if not key and create:
            key = self.sudo().create(
                {"program_id": program.id, "name": f"{program.name} vouchers"}
            )
        if not key:
            raise UserError(
                self.env._("Program %s has no signing key for vouchers.", program.name)
            )
        return key

    @api.model
    def _spp_verifying_keys(self, programs):
        keys = self.sudo().search(
            [("program_id", "in", programs.ids), ("state", "!=", "revoked")]
        )
        return {key.kid: key.public_key for key in keys}
