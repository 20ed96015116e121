# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Before/after record of the registry values that decide where money goes.

A registrant's phone and bank accounts, a membership's FSP, channel, entitlement and
amount inputs: the classic fraud path in cash transfers is to change one of them
shortly before a payroll. Written by the write() overrides of those models (so
imports and RPC writes are covered), read by payroll generation in one SQL join to
quarantine the members changed recently (see spp.payroll's generation).
"""

from odoo import api, fields, models
from odoo.tools import SQL


class SppDestinationChange(models.Model):
    _name = "spp.destination.change"
    _description = "Payment Detail Change"
    _order = "change_date desc, id desc"
    _log_access = False

    partner_id = fields.Many2one(
        "res.partner",
        string="Registrant",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    # Empty for the registrant's own details (phone, bank account), which apply
    # to every membership of the registrant.
    membership_id = fields.Many2one(
        "spp.program.membership", index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one("res.company", index=True, readonly=True)
    model = fields.Char(required=True, readonly=True)
    field_name = fields.Char(string="Field", required=True, readonly=True)
    field_label = fields.Char(string="Changed", required=True, readonly=True)
    old_value = fields.Char(string="Before", readonly=True)
    new_value = fields.Char(string="After", readonly=True)
    user_id = fields.Many2one("res.users", string="Changed by", readonly=True)
    # The transaction's time: a change and the payroll generated in the same
    # transaction compare equal, not in wall-clock order.
    change_date = fields.Datetime(required=True, readonly=True, index=True)
    cleared_uid = fields.Many2one("res.users", string="Cleared by", readonly=True)
    cleared_date = fields.Datetime(readonly=True)

    @api.model
    def _spp_log(self, records, before, field_names, membership=False):
        """Record the changes of ``field_names`` on ``records`` since ``before``
        ({record id: {field: display value}}, read before the write).

        ``membership``: the records are memberships (else registrants, or bank
        accounts of registrants when ``records`` is res.partner.bank).
        """
        after = self._spp_snapshot(records, field_names)
        labels = {name: records._fields[name].string for name in field_names}
        vals_list = []
        for record in records:
            old, new = before.get(record.id, {}), after[record.id]
            for name in field_names:
                if old.get(name) == new[name]:
                    continue
                vals_list.append(
                    {
                        **self._spp_owner_vals(record, membership),
                        "model": records._name,
                        "field_name": name,
                        "field_label": labels[name],
                        "old_value": old.get(name) or False,
                        "new_value": new[name] or False,
                        "user_id": self.env.uid,
                        "change_date": self.env.cr.now(),
                    }
                )
        if vals_list:
            self.sudo().create(vals_list)

    @api.model
    def _spp_owner_vals(self, record, membership):
        if membership:
            return {
                "partner_id": record.partner_id.id,
                "membership_id": record.id,
                "company_id": record.company_id.id,
            }
        partner = record.partner_id if record._name == "res.partner.bank" else record
        return {"partner_id": partner.id, "company_id": partner.company_id.id}

    @api.model
    def _spp_snapshot(self, records, field_names):
        """{record id: {field: value as text}}, the form the log keeps."""
        snapshot = {}
        for record in records.sudo():
            values = {}
            for name in field_names:
                value = record[name]
                if isinstance(value, models.BaseModel):
                    value = value.display_name
                elif record._fields[name].type == "boolean":
                    value = str(bool(value))
                values[name] = "" if value is False or value is None else str(value)
            snapshot[record.id] = values
        return snapshot

    @api.model
    def _spp_recent_sql(self, program, since):
        """Rows (membership_id, changed field labels) of the
        program's members with an uncleared change since ``since``: their own
        money fields, or their registrant's destination."""
        return SQL(
            """
            SELECT membership_id,
                   string_agg(DISTINCT field_label, ', ' ORDER BY field_label)
                       AS labels
              FROM (SELECT c.membership_id, c.field_label
                      FROM spp_destination_change c
                      JOIN spp_program_membership m ON m.id = c.membership_id
                     WHERE c.change_date >= %(since)s AND c.cleared_date IS NULL
                       AND m.program_id = %(program)s
                     UNION ALL
                    SELECT m.id, c.field_label
                      FROM spp_destination_change c
                      JOIN spp_program_membership m ON m.partner_id = c.partner_id
                     WHERE c.change_date >= %(since)s AND c.cleared_date IS NULL
                       AND c.membership_id IS NULL
                       AND m.program_id = %(program)s) changes
             GROUP BY membership_id
            """,
            since=since,
            program=program.id,
        )
