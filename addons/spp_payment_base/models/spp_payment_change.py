# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.tools import SQL

NUMERIC_TYPES = ("integer", "float", "monetary")


class SppPaymentChange(models.Model):
    """Evidence of an edit of a payment: who changed which field, from what to
    what, when. Append-only; written in bulk by SQL around ``spp.payment.write``
    (values as the database holds them, many2ones as ids)."""

    _name = "spp.payment.change"
    _description = "Payment Change"
    _order = "id desc"
    _log_access = False

    # No foreign key cascade: the evidence outlives a deleted draft payment.
    payment_id = fields.Many2one(
        "spp.payment", index=True, ondelete="set null", readonly=True
    )
    payment_reference = fields.Char(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    field_id = fields.Many2one("ir.model.fields", ondelete="set null", readonly=True)
    field_name = fields.Char(string="Technical Name", required=True, readonly=True)
    old_value = fields.Text(string="Before", readonly=True)
    new_value = fields.Text(string="After", readonly=True)
    # A user who edited payments is archived, never deleted (see res.users).
    user_id = fields.Many2one(
        "res.users", required=True, readonly=True, ondelete="restrict"
    )
    date = fields.Datetime(required=True, readonly=True)

    @api.model
    def _spp_extra_columns(self):
        """{change column: SQL of the payment ``p``} copied on each row;
        extensions add theirs (the payroll)."""
        return {}

    @api.model
    def _spp_record_before(self, payments, names):
        """Rows with the values of ``names`` before a write of ``payments``;
        returns their ids, to complete with _spp_record_after."""
        payments.flush_recordset()
        model_fields = self.env["ir.model.fields"].sudo()
        field_ids = [model_fields._get(payments._name, name).id for name in names]
        extra = self._spp_extra_columns()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO spp_payment_change
                    (payment_id, payment_reference, company_id, field_id,
                     field_name, old_value, user_id, date%(extra_columns)s)
                SELECT p.id, p.reference, p.company_id, f.field_id, f.name,
                       to_jsonb(p) ->> f.name, %(uid)s,
                       now() at time zone 'utc'%(extra_values)s
                  FROM spp_payment p,
                       unnest(%(names)s::varchar[], %(field_ids)s::int[])
                           AS f(name, field_id)
                 WHERE p.id = ANY(%(ids)s)
             RETURNING id
                """,
                extra_columns=SQL("").join(
                    SQL(", %s", SQL.identifier(c)) for c in extra
                ),
                extra_values=SQL("").join(SQL(", %s", v) for v in extra.values()),
                uid=self.env.uid,
                names=list(names),
                field_ids=field_ids,
                ids=list(payments.ids),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _spp_record_after(self, payments, names, change_ids):
        """Complete the rows with the values after the write, forget the fields
        that did not change, and return the payments that did."""
        if not change_ids:
            return payments.browse()
        payments.flush_recordset()
        numeric = [n for n in names if payments._fields[n].type in NUMERIC_TYPES]
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_payment_change c
                   SET new_value = to_jsonb(p) ->> c.field_name
                  FROM spp_payment p
                 WHERE c.id = ANY(%(ids)s) AND p.id = c.payment_id
             RETURNING c.id, c.payment_id,
                       CASE WHEN c.field_name = ANY(%(numeric)s)
                            THEN c.old_value::numeric IS NOT DISTINCT FROM
                                 (to_jsonb(p) ->> c.field_name)::numeric
                            ELSE c.old_value IS NOT DISTINCT FROM
                                 to_jsonb(p) ->> c.field_name
                       END
                """,
                ids=change_ids,
                numeric=numeric,
            )
        )
        rows = self.env.cr.fetchall()
        same = [change_id for change_id, _pid, unchanged in rows if unchanged]
        if same:
            self.env.cr.execute(
                SQL("DELETE FROM spp_payment_change WHERE id = ANY(%s)", same)
            )
        return payments.browse(
            list(dict.fromkeys(pid for _id, pid, unchanged in rows if not unchanged))
        )
