# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Ad-hoc payrolls: the payments of an uploaded file, written set-based.

Rows naming a registrant become payments at once (their membership is created
when missing, as a *draft* membership so that regular payrolls, which select
enrolled members, do not start paying them). Rows describing a new payee wait
on a staging line: a payment cannot exist before its beneficiary
(``spp.payment.partner_id`` is required), and the payee is created in the
registry only once a checker approves the payroll, with their membership and
payment, before the payroll's payments are approved together."""

import io

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import (
    copy_into,
    copy_text,
    refresh_statistics,
    required_column_defaults,
)

# Columns the bulk inserts name; others a module makes NOT NULL get defaults.
PARTNER_COLUMNS = frozenset(
    {
        "id",
        "name",
        "complete_name",
        "active",
        "type",
        "is_company",
        "commercial_partner_id",
        "partner_share",
        "lang",
        "is_registrant",
        "registrant_type",
        "phone_e164",
        "national_id",
        "create_uid",
        "create_date",
        "write_uid",
        "write_date",
    }
)
MEMBERSHIP_COLUMNS = frozenset(
    {
        "program_id",
        "partner_id",
        "company_id",
        "currency_id",
        "state",
        "channel",
        "fsp_id",
        "entitled_total",
        "paid_total",
        "balance",
        "payment_count",
        "enrollment_date",
        "is_balance_based",
        "create_uid",
        "create_date",
        "write_uid",
        "write_date",
    }
)
# From this many new payees on, the staging table is analysed after the load.
STAGING_ANALYZE_ROWS = 1_000


def _audit(uid):
    """create_uid, create_date, write_uid, write_date of a bulk insert."""
    return SQL(
        "%(uid)s, now() at time zone 'utc', %(uid)s, now() at time zone 'utc'",
        uid=uid,
    )


class SppPayroll(models.Model):
    _inherit = "spp.payroll"

    adhoc_line_ids = fields.One2many(
        "spp.payroll.adhoc.line", "payroll_id", string="New Payees", readonly=True
    )
    adhoc_file_name = fields.Char(string="Uploaded File", readonly=True, copy=False)
    adhoc_staged_count = fields.Integer(
        string="New Payees Awaiting Approval", compute="_compute_adhoc_staged"
    )
    adhoc_staged_amount = fields.Monetary(
        string="Amount to New Payees",
        compute="_compute_adhoc_staged",
        currency_field="currency_id",
    )

    def _compute_adhoc_staged(self):
        totals = {}
        if self.ids:
            self.env["spp.payroll.adhoc.line"].flush_model()
            self.env.cr.execute(
                SQL(
                    "SELECT payroll_id, COUNT(*), COALESCE(SUM(amount), 0) "
                    "FROM spp_payroll_adhoc_line "
                    "WHERE payroll_id = ANY(%s) AND state = 'staged' "
                    "GROUP BY payroll_id",
                    list(self.ids),
                )
            )
            totals = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for payroll in self:
            count, amount = totals.get(payroll.id, (0, 0))
            payroll.adhoc_staged_count = count
            payroll.adhoc_staged_amount = float(amount)

    # Upload ----------------------------------------------------------------

    def action_open_adhoc_import(self):
        self.ensure_one()
        self._spp_adhoc_check_importable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Upload payees of %s", self.name),
            "res_model": "spp.payroll.adhoc.import",
            "view_mode": "form",
            "target": "new",
            "context": {"default_payroll_id": self.id},
        }

    def _spp_adhoc_check_importable(self):
        """Only the officer of a draft ad-hoc payroll not yet filled uploads."""
        self.ensure_one()
        self.check_access("write")
        if self.kind != "adhoc":
            raise UserError(
                self.env._(
                    "%s is not an ad-hoc payroll: its payments are generated.",
                    self.name,
                )
            )
        if self.approval_state != "draft":
            raise UserError(self.env._("Payroll %s is no longer a draft.", self.name))
        if self.cycle_id.approval_state != "approved":
            raise UserError(
                self.env._("Cycle %s is not approved.", self.cycle_id.display_name)
            )
        if self.generated_date:
            raise UserError(
                self.env._(
                    "%(payroll)s already holds the payees of %(file)s; create "
                    "another ad-hoc payroll for another file.",
                    payroll=self.name,
                    file=self.adhoc_file_name or "-",
                )
            )
        if self.program_id.is_balance_based:
            raise UserError(
                self.env._(
                    "%s pays balances: ad-hoc amounts would bypass the members' "
                    "balances, so its payrolls are generated.",
                    self.program_id.display_name,
                )
            )

    def _spp_adhoc_import(self, result, file_name):
        """Write the checked rows of a clean file (an
        :class:`spp_payment_core.adhoc.AdhocResult` without errors): the
        registrants' payments and the new payees' staging lines, in a few
        statements whatever the file's size; then the generation's checks."""
        self._spp_adhoc_check_importable()
        if result.errors:
            raise UserError(self.env._("A file with errors is never imported."))
        self.env.flush_all()
        registrant_rows = result.registrant_rows
        if registrant_rows:
            self._spp_adhoc_insert_memberships(registrant_rows)
            self._spp_adhoc_insert_payments(registrant_rows)
        if result.new_payees:
            self._spp_adhoc_insert_lines(result.new_payees)
            self._spp_adhoc_flag_lines()
        self.write(
            {"generated_date": fields.Datetime.now(), "adhoc_file_name": file_name}
        )
        # The uploader prepared the payroll: they never review it.
        self._spp_record_contributor("generated")
        self._spp_run_checks()
        if self.enforce_duplicates:
            self._spp_adhoc_move_out_flagged_lines()
        self.invalidate_recordset()
        self.message_post(
            body=self.env._(
                "%(file)s uploaded: %(payments)s payments to registrants, "
                "%(new)s new payees awaiting approval.",
                file=file_name,
                payments=len(registrant_rows),
                new=len(result.new_payees),
            )
        )

    def _spp_adhoc_insert_memberships(self, rows):
        """A draft membership for each registrant of the file not yet in the
        program, in one statement."""
        program = self.program_id
        # One membership per registrant, taking their first row's channel and FSP.
        missing = {}
        for row in rows:
            if not row.membership_id:
                missing.setdefault(row.partner_id, (row.channel, row.fsp_id))
        if not missing:
            return
        extra = self._spp_membership_extra()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO spp_program_membership (
                    program_id, partner_id, company_id, currency_id, state,
                    channel, fsp_id, entitled_total, paid_total, balance,
                    payment_count, enrollment_date, is_balance_based,
                    create_uid, create_date, write_uid, write_date
                    %(extra_columns)s)
                SELECT %(program)s, p.id, %(company)s, %(currency)s, 'draft',
                       p.channel, p.fsp, 0, 0, 0, 0, CURRENT_DATE, FALSE,
                       %(audit)s %(extra_values)s
                  FROM unnest(%(partners)s::int[], %(channels)s::text[],
                              %(fsps)s::int[]) AS p(id, channel, fsp)
                ON CONFLICT (program_id, partner_id) DO NOTHING
                """,
                program=program.id,
                company=program.company_id.id,
                currency=program.currency_id.id,
                partners=list(missing),
                channels=[channel for channel, _fsp in missing.values()],
                fsps=[fsp or None for _channel, fsp in missing.values()],
                audit=_audit(self.env.uid),
                **extra,
            )
        )
        refresh_statistics(self.env.cr, "spp_program_membership", len(missing))
        self.env["spp.program.membership"].invalidate_model()

    def _spp_adhoc_insert_payments(self, rows):
        """COPY the rows into a temporary table, then one INSERT ... SELECT
        joins them to the program's memberships (as the generation does)."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "CREATE TEMP TABLE spp_adhoc_row (row_no int, partner int, "
                "amount numeric, channel text, fsp int, destination_type text, "
                "destination text) ON COMMIT DROP"
            )
        )
        buffer = io.StringIO()
        for row in rows:
            buffer.write(
                f"{row.row}\t{row.partner_id}\t{row.amount}\t{row.channel}\t"
                f"{copy_text(row.fsp_id)}\t{copy_text(row.destination_type)}\t"
                f"{copy_text(row.destination)}\n"
            )
        copy_into(cr, "spp_adhoc_row", buffer)
        cr.execute(SQL("ANALYZE spp_adhoc_row"))
        cr.execute(
            SQL(
                """
                INSERT INTO spp_payment (
                    reference, program_id, membership_id, partner_id, cycle_id,
                    live_cycle_id, payroll_id, fsp_id, channel, destination_type,
                    destination, amount, amount_breakdown, state, is_capped,
                    is_over_balance, back_payment_count, entitlement_rejected,
                    is_duplicate, company_id, currency_id,
                    create_uid, create_date, write_uid, write_date)
                SELECT %(reference)s,
                       m.program_id, m.id, m.partner_id, %(cycle)s, %(cycle)s,
                       %(payroll)s, COALESCE(v.fsp, m.fsp_id), v.channel,
                       v.destination_type, v.destination, v.amount,
                       jsonb_build_object('adhoc', v.amount::text), 'draft',
                       FALSE, FALSE, 0, FALSE, FALSE,
                       m.company_id, m.currency_id,
                       %(uid)s, now() at time zone 'utc',
                       %(uid)s, now() at time zone 'utc'
                  FROM spp_adhoc_row v
                  JOIN spp_program_membership m
                    ON m.partner_id = v.partner AND m.program_id = %(program)s
                 ORDER BY v.row_no
                """,
                reference=self.env["spp.payment"]._spp_reference_sql(),
                cycle=self.cycle_id.id,
                payroll=self.id,
                program=self.program_id.id,
                uid=self.env.uid,
            )
        )
        inserted = cr.rowcount
        cr.execute(SQL("DROP TABLE spp_adhoc_row"))
        # The duplicate flags join the cycle's payments, these ones included.
        refresh_statistics(cr, "spp_payment", inserted)
        if inserted != len(rows):
            raise UserError(
                self.env._("Some registrants of the file have no membership.")
            )
        self.env["spp.payment"].invalidate_model()
        self.invalidate_recordset(["payment_ids"])

    def _spp_adhoc_insert_lines(self, rows):
        buffer = io.StringIO()
        company, payroll = self.company_id.id, self.id
        now = self.env.cr.now().isoformat(sep=" ")
        audit = f"{self.env.uid}\t{now}\t{self.env.uid}\t{now}"
        for row in rows:
            buffer.write(
                f"{payroll}\t{company}\t{row.row}\t{copy_text(row.name)}\t"
                f"{copy_text(row.phone)}\t{copy_text(row.national_id)}\t"
                f"{row.amount}\t{row.channel}\t{copy_text(row.fsp_id)}\t"
                f"{copy_text(row.destination_type)}\t{copy_text(row.destination)}\t"
                f"staged\tf\t{audit}\n"
            )
        copy_into(
            self.env.cr,
            "spp_payroll_adhoc_line (payroll_id, company_id, row, name, "
            "phone_e164, national_id, amount, channel, fsp_id, destination_type, "
            "destination, state, is_duplicate, create_uid, create_date, "
            "write_uid, write_date)",
            buffer,
        )
        # Without statistics the flags' joins take the new lines for one row
        # and loop over them per line; the table holds uploads only, so
        # sampling it is cheap whatever the threshold of the big tables.
        if len(rows) >= STAGING_ANALYZE_ROWS:
            self.env.cr.execute(SQL("ANALYZE spp_payroll_adhoc_line"))
        self.env["spp.payroll.adhoc.line"].invalidate_model()

    def _spp_adhoc_flag_lines(self):
        """The generation's duplicate flags, for payees who have no payment
        yet: a destination already paid in the cycle or given twice, a
        national ID a registrant already has."""
        self.env.cr.execute(
            SQL(
                """
                WITH mine AS (
                    SELECT id, destination, national_id
                      FROM spp_payroll_adhoc_line
                     WHERE payroll_id = %(payroll)s AND state = 'staged'
                ), shared AS (
                    -- Grouped, not joined row to row: a file of 100,000
                    -- payees is one hash aggregate, not 10^10 comparisons.
                    SELECT destination FROM mine WHERE destination IS NOT NULL
                     GROUP BY destination HAVING COUNT(*) > 1
                    UNION
                    SELECT q.destination FROM spp_payment q
                     WHERE q.live_cycle_id = %(cycle)s
                       AND q.destination IN (SELECT destination FROM mine)
                ), flags AS (
                    SELECT m.id, 'destination shared with another beneficiary'
                           AS reason
                      FROM mine m JOIN shared s ON s.destination = m.destination
                    UNION ALL
                    SELECT m.id, 'national ID shared with another registrant'
                      FROM mine m
                     WHERE m.national_id IS NOT NULL
                       AND EXISTS (SELECT 1 FROM res_partner r
                                    WHERE r.national_id = m.national_id
                                      AND r.is_registrant)
                )
                UPDATE spp_payroll_adhoc_line l
                   SET is_duplicate = TRUE, duplicate_reason = f.reasons
                  FROM (SELECT id, string_agg(reason, '; ' ORDER BY reason) AS reasons
                          FROM flags GROUP BY id) f
                 WHERE l.id = f.id
                """,
                payroll=self.id,
                cycle=self.cycle_id.id,
            )
        )
        self.env["spp.payroll.adhoc.line"].invalidate_model()

    def _spp_adhoc_move_out_flagged_lines(self):
        """Enforced duplicates: a flagged new payee is never created."""
        self.env.cr.execute(
            SQL(
                "UPDATE spp_payroll_adhoc_line SET state = 'excluded' "
                "WHERE payroll_id = %s AND is_duplicate AND state = 'staged'",
                self.id,
            )
        )
        self.env["spp.payroll.adhoc.line"].invalidate_model()

    # Maker-checker ---------------------------------------------------------

    def _spp_approval_amount(self):
        """The checker approves what the payees are paid, new ones included."""
        return super()._spp_approval_amount() + self.adhoc_staged_amount

    def _spp_check_can_submit(self):
        if self.kind == "adhoc" and not self.payment_count:
            # Only new payees: their payments are created on approval.
            if not self.generated_date or not self.adhoc_staged_count:
                raise UserError(
                    self.env._(
                        "Upload the payees of %s before submitting it.", self.name
                    )
                )
            if self.lines_edited:
                self._spp_recheck_edited()
            return
        super()._spp_check_can_submit()

    def _on_spp_approved(self):
        if self.kind == "adhoc" and self.adhoc_staged_count:
            self._spp_adhoc_create_payees()
        return super()._on_spp_approved()

    # Approval: the new payees ----------------------------------------------

    def _spp_adhoc_create_payees(self):
        """Registrants, draft memberships and payments for the staged payees,
        in three statements; the payments then follow the payroll's approval
        with the others (see _on_spp_approved)."""
        self.env.flush_all()
        cr = self.env.cr
        program = self.program_id
        partner_extra = required_column_defaults(
            self.env, "res.partner", PARTNER_COLUMNS
        )
        membership_extra = self._spp_membership_extra()
        cr.execute(
            SQL(
                """
                CREATE TEMP TABLE spp_adhoc_payee ON COMMIT DROP AS
                SELECT nextval('res_partner_id_seq')::int AS partner, l.*
                  FROM spp_payroll_adhoc_line l
                 WHERE l.payroll_id = %s AND l.state = 'staged'
                 ORDER BY l.row
                """,
                self.id,
            )
        )
        cr.execute(SQL("ANALYZE spp_adhoc_payee"))
        cr.execute(
            SQL(
                """
                INSERT INTO res_partner (
                    id, name, complete_name, active, type, is_company,
                    commercial_partner_id, partner_share, lang, is_registrant,
                    registrant_type, phone_e164, national_id,
                    create_uid, create_date, write_uid, write_date
                    %(extra_columns)s)
                SELECT partner, name, name, TRUE, 'contact',
                       %(household)s, partner, TRUE, %(lang)s, TRUE, %(type)s,
                       phone_e164, national_id, %(audit)s %(extra_values)s
                  FROM spp_adhoc_payee;
                INSERT INTO spp_program_membership (
                    program_id, partner_id, company_id, currency_id, state,
                    channel, fsp_id, entitled_total, paid_total, balance,
                    payment_count, enrollment_date, is_balance_based,
                    create_uid, create_date, write_uid, write_date
                    %(membership_columns)s)
                SELECT %(program)s, partner, %(company)s, %(currency)s, 'draft',
                       channel, fsp_id, 0, 0, 0, 0, CURRENT_DATE, FALSE,
                       %(audit)s %(membership_values)s
                  FROM spp_adhoc_payee;
                """,
                household=program.target_type == "household",
                lang=self.env.lang or "en_US",
                type=program.target_type,
                program=program.id,
                company=program.company_id.id,
                currency=program.currency_id.id,
                audit=_audit(self.env.uid),
                membership_columns=membership_extra["extra_columns"],
                membership_values=membership_extra["extra_values"],
                **partner_extra,
            )
        )
        staged = self.adhoc_staged_count
        refresh_statistics(cr, "res_partner", staged)
        refresh_statistics(cr, "spp_program_membership", staged)
        cr.execute(
            SQL(
                """
                WITH created AS (
                    INSERT INTO spp_payment (
                        reference, program_id, membership_id, partner_id,
                        cycle_id, live_cycle_id, payroll_id, fsp_id, channel,
                        destination_type, destination, amount, amount_breakdown,
                        state, is_capped, is_over_balance, back_payment_count,
                        entitlement_rejected, is_duplicate, duplicate_reason,
                        company_id, currency_id,
                        create_uid, create_date, write_uid, write_date)
                    SELECT %(reference)s,
                           m.program_id, m.id, m.partner_id, %(cycle)s, %(cycle)s,
                           %(payroll)s, v.fsp_id, v.channel, v.destination_type,
                           v.destination, v.amount,
                           jsonb_build_object('adhoc', v.amount::text), 'draft',
                           FALSE, FALSE, 0, FALSE, v.is_duplicate,
                           v.duplicate_reason, m.company_id, m.currency_id,
                           %(audit)s
                      FROM spp_adhoc_payee v
                      JOIN spp_program_membership m
                        ON m.partner_id = v.partner AND m.program_id = %(program)s
                     ORDER BY v.row
                    RETURNING id, partner_id
                )
                UPDATE spp_payroll_adhoc_line l
                   SET state = 'created', partner_id = c.partner_id,
                       payment_id = c.id, write_uid = %(uid)s,
                       write_date = now() at time zone 'utc'
                  FROM created c JOIN spp_adhoc_payee v ON v.partner = c.partner_id
                 WHERE l.id = v.id
                """,
                reference=self.env["spp.payment"]._spp_reference_sql(),
                cycle=self.cycle_id.id,
                payroll=self.id,
                program=program.id,
                audit=_audit(self.env.uid),
                uid=self.env.uid,
            )
        )
        created = cr.rowcount
        cr.execute(SQL("DROP TABLE spp_adhoc_payee"))
        refresh_statistics(cr, "spp_payment", created)
        self.env["res.partner"].invalidate_model()
        self.env["spp.program.membership"].invalidate_model()
        self.env["spp.payment"].invalidate_model()
        self.env["spp.payroll.adhoc.line"].invalidate_model()
        self.invalidate_recordset()
        self._spp_refresh_totals()
        self.message_post(
            body=self.env._("%s new payees created in the registry.", created)
        )

    def _spp_membership_extra(self):
        return required_column_defaults(
            self.env, "spp.program.membership", MEMBERSHIP_COLUMNS
        )
