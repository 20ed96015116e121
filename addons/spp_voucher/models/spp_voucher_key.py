# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppVoucherKey(models.Model):
    """A program's Ed25519 signing key. Vouchers name the key that signed them
    (``kid``), so a rotated key keeps its old vouchers verifiable: only the
    active key signs, every non-revoked key verifies."""

    _name = "spp.voucher.key"
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
    )

    _kid_unique = models.Constraint("UNIQUE(kid)", "A key ID is used once.")
