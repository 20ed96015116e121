# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core import states

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..tools import is_guarded_write, refuse_fields, set_fillfactor
from .spp_payment import CHANNELS

# Maintained by set-based SQL when payments are confirmed or reversed.
TOTAL_FIELDS = frozenset({"paid_total", "balance", "payment_count"})


class SppProgramMembership(models.Model):
    _name = "spp.program.membership"
    _description = "Program Membership"
    _order = "program_id, id"
    _rec_name = "partner_id"

    program_id = fields.Many2one(
        "spp.program", required=True, index=True, ondelete="restrict"
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Beneficiary",
        required=True,
        index=True,
        ondelete="restrict",
        domain=[("is_registrant", "=", True)],
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    currency_id = fields.Many2one(related="program_id.currency_id", store=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("enrolled", "Enrolled"),
            ("suspended", "Suspended"),
            ("exited", "Exited"),
        ],
        default="enrolled",
        required=True,
        index=True,
    )
    channel = fields.Selection(
        CHANNELS, string="Channel Preference", default="digital", required=True
    )
    fsp_id = fields.Many2one("spp.fsp", string="FSP", index=True, ondelete="restrict")
    entitled_total = fields.Monetary(currency_field="currency_id")
    paid_total = fields.Monetary(currency_field="currency_id", readonly=True, default=0)
    balance = fields.Monetary(currency_field="currency_id", readonly=True, default=0)
    payment_count = fields.Integer(string="Payments Received", readonly=True, default=0)
    enrollment_date = fields.Date(default=fields.Date.context_today)
    # The program's mode, copied here for the CHECK below (a constraint sees
    # one row); kept by spp.program.write() and create() in one statement.
    is_balance_based = fields.Boolean(readonly=True, default=False)

    # Fields that decide how much a member is paid and through whom: each change
    # is logged (spp.destination.change) and quarantines the member's next
    # payments. Modules add their amount inputs (see _spp_money_fields).
    _spp_money_field_names = ("fsp_id", "channel", "entitled_total")

    _program_partner_unique = models.Constraint(
        "UNIQUE(program_id, partner_id)",
        "A registrant is enrolled in a program only once.",
    )
    _totals_consistent = models.Constraint(
        "CHECK(paid_total >= 0)", "The paid total cannot be negative."
    )
    # Two payrolls cannot spend one balance: generation reserves the open
    # payments' amounts, and this keeps what is paid within the entitlement.
    _balance_not_negative = models.Constraint(
        "CHECK(NOT is_balance_based OR balance >= 0)",
        "A member of a balance program cannot be paid more than the entitlement.",
    )

    def init(self):
        result = super().init()
        # Every payroll updates each member's totals, none of them indexed: with
        # room on the page for a second version of each row, PostgreSQL rewrites
        # the row in place (HOT) instead of adding an entry to each of the
        # table's six indexes (measured: 70 gave room to 42% of the rows).
        set_fillfactor(self.env.cr, self._table, 50, "spp_program_membership_pkey")
        return result

    @api.constrains("partner_id", "program_id")
    def _check_target_type(self):
        for membership in self:
            expected = membership.program_id.target_type
            if membership.partner_id.registrant_type != expected:
                raise ValidationError(
                    self.env._(
                        "%(who)s cannot join %(program)s: the program enrolls "
                        "%(kind)s.",
                        who=membership.partner_id.display_name,
                        program=membership.program_id.display_name,
                        kind=expected,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        self._spp_refuse_totals(vals_list)
        for vals in vals_list:
            vals.setdefault("entitled_total", self._default_entitled_total(vals))
            vals["balance"] = vals.get("entitled_total") or 0.0
            vals["is_balance_based"] = self._program_of(vals).is_balance_based
        return super().create(vals_list)

    def write(self, vals):
        self._spp_refuse_totals([vals])
        if "is_balance_based" in vals and not is_guarded_write("membership_totals"):
            raise UserError(self.env._("A membership follows its program's mode."))
        if "program_id" in vals:
            vals["is_balance_based"] = self._program_of(vals).is_balance_based
        tracked = [f for f in self._spp_money_fields() if f in vals]
        changes = self.env["spp.destination.change"]
        before = changes._spp_snapshot(self, tracked) if tracked else {}
        result = super().write(vals)
        if "entitled_total" in vals:
            self._spp_check_entitlement_covers_open()
            self._spp_recompute_balance()
        if tracked:
            changes._spp_log(self, before, tracked, membership=True)
        return result

    def _program_of(self, vals):
        return self.env["spp.program"].browse(vals.get("program_id"))

    @api.model
    def _spp_money_fields(self):
        """Names of the fields whose changes are logged and quarantine."""
        return self._spp_money_field_names

    def _default_entitled_total(self, vals):
        program = self._program_of(vals)
        return program.default_entitled_total if program.is_balance_based else 0.0

    def _spp_refuse_totals(self, vals_list):
        if is_guarded_write("membership_totals"):
            return
        for vals in vals_list:
            given = TOTAL_FIELDS & vals.keys()
            refuse_fields(
                given,
                self.env._(
                    "Paid totals and balances follow confirmed payments and "
                    "cannot be set by hand: %s.",
                ),
            )

    def _spp_recompute_balance(self):
        self.flush_recordset(["entitled_total", "paid_total"])
        self.env.cr.execute(
            SQL(
                "UPDATE spp_program_membership "
                "SET balance = COALESCE(entitled_total, 0) - paid_total "
                "WHERE id = ANY(%s)",
                list(self.ids),
            )
        )
        self.invalidate_recordset(["balance"])

    def _spp_check_entitlement_covers_open(self):
        """A balance program's entitlement cannot fall below what is paid and
        reserved by open payments: said here, before the CHECK on the balance
        would refuse it in database terms."""
        self.flush_recordset(["entitled_total", "paid_total"])
        self.env.cr.execute(
            SQL(
                """
                SELECT m.id
                  FROM spp_program_membership m
             LEFT JOIN (%s) r ON r.membership_id = m.id
                 WHERE m.id = ANY(%s) AND m.is_balance_based
                   AND COALESCE(m.entitled_total, 0) - m.paid_total
                       < COALESCE(r.reserved, 0)
                """,
                self._spp_reserved_sql(SQL("membership_id = ANY(%s)", self.ids)),
                self.ids,
            )
        )
        short = self.browse([row[0] for row in self.env.cr.fetchall()])
        if short:
            raise ValidationError(
                self.env._(
                    "The entitlement of %s would be less than what is already paid "
                    "or reserved by open payments.",
                    ", ".join(short[:5].mapped("display_name")),
                )
            )

    @api.model
    def _spp_reserved_sql(self, where):
        """Rows (membership_id, reserved): the amounts of the open payments
        (generated, neither paid nor failed, rejected, reversed or cancelled)
        of the payments matching ``where``, per member."""
        return SQL(
            """
            SELECT membership_id, SUM(amount) AS reserved
              FROM spp_payment
             WHERE %s AND state IN %s AND membership_id IS NOT NULL
             GROUP BY membership_id
            """,
            where,
            tuple(sorted(states.RESERVING_STATES)),
        )

    @api.model
    def _spp_sync_balance_mode(self, programs):
        """Copy the programs' mode onto their members, in one statement."""
        programs.flush_recordset(["is_balance_based"])
        self.flush_model(["paid_total", "balance"])
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT m.program_id FROM spp_program_membership m "
                "JOIN spp_program p ON p.id = m.program_id "
                "WHERE m.program_id = ANY(%s) AND p.is_balance_based "
                "AND m.balance < 0 LIMIT 1",
                programs.ids,
            )
        )
        if cr.rowcount:
            raise ValidationError(
                self.env._(
                    "%s has members already paid more than their entitlement: "
                    "raise their entitlements before making it a balance program.",
                    self.env["spp.program"].browse(cr.fetchone()[0]).display_name,
                )
            )
        cr.execute(
            SQL(
                "UPDATE spp_program_membership m "
                "SET is_balance_based = p.is_balance_based "
                "FROM spp_program p WHERE p.id = m.program_id AND p.id = ANY(%s) "
                "AND m.is_balance_based IS DISTINCT FROM p.is_balance_based",
                programs.ids,
            )
        )
        self.invalidate_model(["is_balance_based"])

    @api.model
    def _spp_paid_totals_sql(self, rows, sign=1):
        """UPDATE adding (or, with ``sign=-1``, removing) the paid amounts of the
        payment rows in relation ``rows`` (membership_id, paid_amount, amount) to their
        memberships' totals; run inside a payment transition."""
        return SQL(
            """
            UPDATE spp_program_membership m
               SET paid_total = m.paid_total + %(sign)s * s.amount,
                   payment_count = m.payment_count + %(sign)s * s.n,
                   balance = COALESCE(m.entitled_total, 0)
                             - (m.paid_total + %(sign)s * s.amount)
              -- What was issued counts against the entitlement: an FSP paying
              -- more is an overpayment receivable (spp.payment.overpayment),
              -- not a spent balance.
              FROM (SELECT membership_id, SUM(LEAST(paid_amount, amount)) AS amount,
                           COUNT(*) AS n
                      -- Visit the members in table order, each page once:
                      -- sorted first, the rows are summed as they come. (Left
                      -- to itself, the planner, which cannot estimate the
                      -- rows of a transition, hashed 245,000 members and then
                      -- sorted them: 1.05 s against 0.35 s, measured.)
                      FROM (SELECT membership_id, paid_amount, amount
                              FROM %(rows)s
                             WHERE membership_id IS NOT NULL
                             ORDER BY membership_id
                            OFFSET 0) sorted
                     GROUP BY membership_id
                     ORDER BY membership_id) s
             WHERE m.id = s.membership_id
            """,
            sign=sign,
            rows=SQL.identifier(rows),
        )
