# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppPpmDevice(models.Model):
    """A phone or tablet a PPM enrolled: the server keeps the public half of a
    P-256 key generated in its browser (never exportable), checks every synced
    event's signature with it, and follows the device's event chain."""

    _name = "spp.ppm.device"
    _inherit = ["mail.thread"]
    _description = "PPM Device"
    _order = "id desc"

    name = fields.Char(required=True)
    manager_id = fields.Many2one(
        "spp.payment.point.manager", string="PPM", required=True, index=True
    )
    user_id = fields.Many2one(related="manager_id.user_id", store=True)
    company_id = fields.Many2one(related="manager_id.company_id", store=True)
    public_key = fields.Text(
        string="Public Key (SPKI, base64)", required=True, readonly=True
    )
    state = fields.Selection(
        [("enrolled", "Enrolled"), ("revoked", "Revoked")],
        default="enrolled",
        required=True,
        tracking=True,
    )
    enrolled_date = fields.Datetime(readonly=True, default=fields.Datetime.now)
    revoked_date = fields.Datetime(readonly=True)
    last_seq = fields.Integer(readonly=True, default=0)
    last_hash = fields.Char(readonly=True)
    chain_broken = fields.Boolean(
        readonly=True,
        tracking=True,
        help="An event arrived with a gap in its sequence or a broken hash "
        "chain: events may have been deleted on the device.",
    )
    event_ids = fields.One2many("spp.ppm.event", "device_id", readonly=True)

    def action_revoke(self):
        """A lost or stolen device: every later enrolment check, download and
        sync from it is refused."""
        self.check_access("write")
        self.sudo().write({"state": "revoked", "revoked_date": fields.Datetime.now()})
        return True

    def action_resume_chain(self):
        """After a checker has looked into a broken chain: the device's chain
        resumes at the first event it refused for the break (signed by the
        device, so its seq and prev_hash are the device's own), which can then
        sync again. The events missing before it stay missing."""
        self.check_access("write")
        for device in self.sudo():
            device.lock_for_update()
            first = (
                self.env["spp.ppm.event"]
                .sudo()
                .search(
                    [
                        ("device_id", "=", device.id),
                        ("reason", "in", ("seq_gap", "chain_broken")),
                        ("seq", ">", device.last_seq),
                    ],
                    order="seq, id",
                    limit=1,
                )
            )
            if not first:
                continue
            device.write(
                {
                    "chain_broken": False,
                    "last_seq": first.seq - 1,
                    "last_hash": first.prev_hash or False,
                }
            )
            device.message_post(
                body=self.env._(
                    "Chain resumed at event %(seq)s by %(user)s.",
                    seq=first.seq,
                    user=self.env.user.name,
                )
            )
        return True
