# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""PPM payrolls: the payments of a ``payment_point`` payroll grouped by the
criteria of approved payment points, split into parts within the cycle's
carry limit, each part carried by one PPM. Set-based: each point's criteria
domain is compiled by the ORM into SQL and the matches are inserted in a few
statements; the split is a running sum (window function) per point."""

from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

# Points whose compiled criteria go into one INSERT ... SELECT ... UNION ALL.
POINTS_PER_STATEMENT = 250
FINANCE_OFFICER = "spp_payment_base.group_spp_finance_officer"


class SppPayroll(models.Model):
    _inherit = "spp.payroll"  # pylint: disable=consider-merging-classes-inherited

    cash_fsp_id = fields.Many2one(
        "spp.fsp",
        string="Cash FSP",
        domain=[("provider", "=", "cash")],
        help="The cash provider the payment point managers pay through "
        "(payment point payrolls).",
    )
    point_restrict_ids = fields.Many2many(
        "spp.payment.point",
        "spp_payroll_point_restrict_rel",
        "payroll_id",
        "point_id",
        string="Payment Points Used",
        domain=[("approval_state", "=", "approved"), ("state", "=", "active")],
        help="Group by the criteria of these points only (e.g. points created "
        "for this payroll). Empty: every approved, active point of the program.",
    )
    payroll_point_ids = fields.One2many(
        "spp.payroll.point", "payroll_id", string="Point Parts", readonly=True
    )
    point_issue_ids = fields.One2many(
        "spp.payroll.point.issue", "payroll_id", string="Decisions", readonly=True
    )
    ppm_float_ids = fields.One2many(
        "spp.ppm.float", "payroll_id", string="Cash Floats", readonly=True
    )
    point_part_count = fields.Integer(compute="_compute_ppm_counts")
    point_issue_count = fields.Integer(
        string="Decisions Needed", compute="_compute_ppm_counts"
    )
    ppm_float_count = fields.Integer(compute="_compute_ppm_counts")

    def _compute_ppm_counts(self):
        for payroll in self:
            payroll.point_part_count = len(payroll.payroll_point_ids)
            payroll.point_issue_count = len(
                payroll.point_issue_ids.filtered(lambda i: i.decision == "undecided")
            )
            payroll.ppm_float_count = len(payroll.ppm_float_ids)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("kind") == "payment_point" and not vals.get("cash_fsp_id"):
                vals["cash_fsp_id"] = self._spp_default_cash_fsp().id
        return super().create(vals_list)

    @api.model
    def _spp_default_cash_fsp(self):
        return self.env["spp.fsp"].search(
            [
                ("provider", "=", "cash"),
                ("state", "!=", "disabled"),
                ("company_id", "in", self.env.companies.ids),
            ],
            limit=1,
        )

    # Summary ---------------------------------------------------------------

    def _spp_summary(self):
        summary = super()._spp_summary()
        if self.kind == "payment_point":
            summary["by_point"] = self._spp_summary_by_point()
            summary["by_ppm"] = self._spp_summary_by_ppm()
        return summary

    def _spp_summary_by_point(self):
        self.env.cr.execute(
            SQL(
                """
                SELECT pt.code, pt.name, COUNT(*), SUM(pp.payment_count),
                       COALESCE(SUM(pp.amount_total), 0)
                  FROM spp_payroll_point pp
                  JOIN spp_payment_point pt ON pt.id = pp.payment_point_id
                 WHERE pp.payroll_id = %s
                 GROUP BY pt.code, pt.name ORDER BY pt.code
                """,
                self.id,
            )
        )
        return [
            {
                "point": f"{code} {name}",
                "parts": parts,
                "payments": count,
                "amount": float(total),
            }
            for code, name, parts, count, total in self.env.cr.fetchall()
        ]

    def _spp_summary_by_ppm(self):
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(m.name, '-'), COUNT(*), SUM(pp.payment_count),
                       COALESCE(SUM(pp.amount_total), 0)
                  FROM spp_payroll_point pp
             LEFT JOIN spp_payment_point_manager m ON m.id = pp.manager_id
                 WHERE pp.payroll_id = %s
                 GROUP BY m.name ORDER BY m.name
                """,
                self.id,
            )
        )
        return [
            {"ppm": name, "parts": parts, "payments": count, "amount": float(total)}
            for name, parts, count, total in self.env.cr.fetchall()
        ]

    def _spp_summary_sections(self, summary):
        sections = super()._spp_summary_sections(summary)
        if self.kind != "payment_point":
            return sections
        columns = [
            (self.env._("Parts"), True),
            (self.env._("Payments"), True),
            (self.env._("Amount"), True),
        ]

        def rows(lines, key):
            return [
                [
                    line[key],
                    self._spp_number(line["parts"]),
                    self._spp_number(line["payments"]),
                    self._spp_money(line["amount"]),
                ]
                for line in lines
            ]

        return [
            *sections,
            {
                "title": self.env._("By payment point"),
                "columns": [(self.env._("Payment point"), False), *columns],
                "rows": rows(summary.get("by_point", []), "point"),
            },
            {
                "title": self.env._("By payment point manager"),
                "columns": [(self.env._("Payment point manager"), False), *columns],
                "rows": rows(summary.get("by_ppm", []), "ppm"),
            },
        ]

    # Generation and grouping -------------------------------------------------

    def action_generate(self):
        result = super().action_generate()
        if self.kind == "payment_point":
            self._spp_group_points()
        return result

    def _spp_check_generable(self):
        result = super()._spp_check_generable()
        if self.kind == "payment_point" and not (
            self.cash_fsp_id or self._spp_default_cash_fsp()
        ):
            raise UserError(self._spp_no_cash_fsp_message())
        return result

    def _spp_no_cash_fsp_message(self):
        return self.env._(
            "No FSP of provider Cash at Payment Points: create one before grouping %s.",
            self.name,
        )

    def action_group_points(self):
        """Group (again) by the points' criteria, with the decisions taken."""
        self.ensure_one()
        self._spp_group_points()
        return True

    def _spp_points_used(self):
        self.ensure_one()
        if self.point_restrict_ids:
            points = self.point_restrict_ids
            bad = points.filtered(
                lambda p: p.approval_state != "approved" or p.state != "active"
            )
            if bad:
                raise UserError(
                    self.env._(
                        "Only approved, active payment points group a payroll: %s.",
                        ", ".join(bad.mapped("code")),
                    )
                )
            return points
        return self.env["spp.payment.point"].search(
            [
                ("approval_state", "=", "approved"),
                ("state", "=", "active"),
                ("company_id", "=", self.company_id.id),
                ("program_id", "in", [self.program_id.id, False]),
            ]
        )

    def _spp_group_points(self):
        """Assign every payment of this draft payroll to one part of one
        payment point, or list it for a decision (no point, several)."""
        self.ensure_one()
        self.check_access("write")
        if self.kind != "payment_point":
            raise UserError(self.env._("Only payment point payrolls are grouped."))
        self._spp_check_payments_open()
        fsp = self.cash_fsp_id or self._spp_default_cash_fsp()
        if not fsp:
            raise UserError(self._spp_no_cash_fsp_message())
        points = self._spp_points_used()
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                "DELETE FROM spp_payroll_point_issue "
                "WHERE payroll_id = %s AND decision = 'undecided'",
                self.id,
            )
        )
        self._spp_match_points(points)
        self._spp_list_issues()
        self._spp_split_parts()
        self._spp_write_parts(fsp)
        if not self.cash_fsp_id:
            self.cash_fsp_id = fsp
        self._spp_record_contributor("lines")
        self.env["spp.payment"].invalidate_model(
            ["payroll_point_id", "payment_point_id", "ppm_id", "fsp_id"]
        )
        self.env["spp.payroll.point"].invalidate_model()
        self.env["spp.payroll.point.issue"].invalidate_model()
        self.invalidate_recordset()
        # The grouping moved payments to the cash FSP by SQL: the stored
        # totals by FSP are counted again.
        self._spp_refresh_totals()

    def _spp_match_points(self, points):
        """spp_ppm_candidates: each payment of the payroll with the points
        whose criteria its member matches (NULL: none)."""
        cr = self.env.cr
        membership = self.env["spp.program.membership"]
        cr.execute(
            SQL(
                "DROP TABLE IF EXISTS spp_ppm_match; DROP TABLE IF EXISTS "
                "spp_ppm_candidates; DROP TABLE IF EXISTS spp_ppm_split; "
                "CREATE TEMP TABLE spp_ppm_match (point_id int, membership_id int) "
                "ON COMMIT DROP"
            )
        )
        base = Domain("program_id", "=", self.program_id.id)
        by_path, others = _equality_groups(points)
        for path, values in by_path.items():
            # Points that each select one value of the same field: one query
            # compiled by the ORM for all their values, joined to the points.
            query = membership._search(
                Domain.AND([base, Domain(path, "in", list(values))])
            )
            key = membership._read_group_groupby(query.table, path, query)
            pairs = [
                (point_id, str(v)) for v, ids in values.items() for point_id in ids
            ]
            cr.execute(
                SQL(
                    "INSERT INTO spp_ppm_match SELECT v.point_id, m.id FROM (%s) m "
                    "JOIN unnest(%s::int[], %s::text[]) AS v(point_id, key) "
                    "ON v.key = m.key::text",
                    query.select(
                        SQL.identifier(query.table, "id"), SQL("%s AS key", key)
                    ),
                    [pair[0] for pair in pairs],
                    [pair[1] for pair in pairs],
                )
            )
        selects = []
        for point in others:
            query = membership._search(Domain.AND([base, point._spp_criteria()]))
            selects.append(
                SQL("SELECT %s, s.id FROM (%s) s", point.id, query.subselect())
            )
        for start in range(0, len(selects), POINTS_PER_STATEMENT):
            cr.execute(
                SQL(
                    "INSERT INTO spp_ppm_match %s",
                    SQL(" UNION ALL ").join(
                        selects[start : start + POINTS_PER_STATEMENT]
                    ),
                )
            )
        cr.execute(SQL("ANALYZE spp_ppm_match"))
        cr.execute(
            SQL(
                """
                CREATE TEMP TABLE spp_ppm_candidates ON COMMIT DROP AS
                SELECT p.id AS payment_id, p.amount,
                       array_agg(DISTINCT t.point_id ORDER BY t.point_id)
                           FILTER (WHERE t.point_id IS NOT NULL) AS points
                  FROM spp_payment p
             LEFT JOIN spp_ppm_match t ON t.membership_id = p.membership_id
                 WHERE p.payroll_id = %s AND NOT p.entitlement_rejected
                 GROUP BY p.id, p.amount
                """,
                self.id,
            )
        )
        cr.execute(SQL("ANALYZE spp_ppm_candidates"))

    def _spp_list_issues(self):
        """Payments matching no point, or several, wait for the officer's
        decision; decisions already taken are kept."""
        self.env.cr.execute(
            SQL(
                """
                WITH new AS (
                    INSERT INTO spp_payroll_point_issue
                        (payroll_id, payment_id, reason, decision, company_id,
                         create_uid, create_date, write_uid, write_date)
                    SELECT %(payroll)s, c.payment_id,
                           CASE WHEN c.points IS NULL THEN 'none' ELSE 'several' END,
                           'undecided', %(company)s,
                           %(uid)s, now() at time zone 'utc',
                           %(uid)s, now() at time zone 'utc'
                      FROM spp_ppm_candidates c
                     WHERE COALESCE(cardinality(c.points), 0) <> 1
                       AND NOT EXISTS (SELECT 1 FROM spp_payroll_point_issue i
                                        WHERE i.payment_id = c.payment_id)
                 RETURNING id, payment_id
                )
                INSERT INTO spp_payroll_point_issue_candidate_rel (issue_id, point_id)
                SELECT new.id, unnest(c.points)
                  FROM new JOIN spp_ppm_candidates c ON c.payment_id = new.payment_id
                 WHERE c.points IS NOT NULL
                """,
                payroll=self.id,
                company=self.company_id.id,
                uid=self.env.uid,
            )
        )

    def _spp_split_parts(self):
        """Each point's payments, in payment order, fill part 1 up to the carry
        limit, then part 2, ...: one running-sum UPDATE per part number (a
        payment above the limit gets a part of its own, refused at
        submission)."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                CREATE TEMP TABLE spp_ppm_split ON COMMIT DROP AS
                SELECT c.payment_id, COALESCE(i.point_id, c.points[1]) AS point_id,
                       c.amount, NULL::int AS part
                  FROM spp_ppm_candidates c
             LEFT JOIN spp_payroll_point_issue i
                    ON i.payment_id = c.payment_id AND i.decision = 'assign'
                 WHERE i.id IS NOT NULL OR cardinality(c.points) = 1
                """
            )
        )
        # Statistics and a key: the running-sum UPDATEs join on payment_id.
        cr.execute(
            SQL(
                "ALTER TABLE spp_ppm_split ADD PRIMARY KEY (payment_id); "
                "ANALYZE spp_ppm_split"
            )
        )
        limit = self.cycle_id.ppm_carry_limit
        if not limit or limit <= 0:
            cr.execute(SQL("UPDATE spp_ppm_split SET part = 1"))
        else:
            part = 0
            while True:
                part += 1
                cr.execute(
                    SQL(
                        """
                        WITH c AS (
                            SELECT payment_id,
                                   SUM(amount) OVER w AS running,
                                   row_number() OVER w AS n
                              FROM spp_ppm_split WHERE part IS NULL
                            WINDOW w AS (PARTITION BY point_id ORDER BY payment_id)
                        )
                        UPDATE spp_ppm_split s SET part = %(part)s
                          FROM c
                         WHERE s.payment_id = c.payment_id
                           AND (c.running <= %(limit)s OR c.n = 1)
                        """,
                        part=part,
                        limit=Decimal(str(limit)),
                    )
                )
                if not cr.rowcount:
                    break

    def _spp_write_parts(self, fsp):
        """The parts of the split, upserted: a part already there for the
        same point and part number keeps its id and its PPM (a regrouping
        rewrites only the payments that move). Then each payment points at
        its part (or at none: listed for a decision), paid in cash; parts
        left empty are deleted."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                CREATE TEMP TABLE spp_ppm_parts (id int, point_id int, part int,
                                                 manager_id int) ON COMMIT DROP;
                WITH parts AS (
                    INSERT INTO spp_payroll_point
                        (payroll_id, payment_point_id, part_no, payment_count,
                         amount_total, company_id,
                         create_uid, create_date, write_uid, write_date)
                    SELECT %(payroll)s, point_id, part, COUNT(*), SUM(amount),
                           %(company)s, %(uid)s, now() at time zone 'utc',
                           %(uid)s, now() at time zone 'utc'
                      FROM spp_ppm_split GROUP BY point_id, part
                    ON CONFLICT (payroll_id, payment_point_id, part_no) DO UPDATE
                       SET payment_count = EXCLUDED.payment_count,
                           amount_total = EXCLUDED.amount_total,
                           write_uid = EXCLUDED.write_uid,
                           write_date = EXCLUDED.write_date
                 RETURNING id, payment_point_id, part_no, manager_id
                )
                INSERT INTO spp_ppm_parts SELECT * FROM parts;
                ANALYZE spp_ppm_parts;
                ALTER TABLE spp_ppm_split ADD COLUMN part_id int,
                                          ADD COLUMN manager_id int;
                UPDATE spp_ppm_split s SET part_id = t.id, manager_id = t.manager_id
                  FROM spp_ppm_parts t
                 WHERE t.point_id = s.point_id AND t.part = s.part;
                UPDATE spp_payment p
                   SET payroll_point_id = s.part_id, payment_point_id = s.point_id,
                       ppm_id = s.manager_id, fsp_id = %(fsp)s
                  FROM spp_ppm_split s
                 WHERE p.id = s.payment_id
                   AND (p.payroll_point_id IS DISTINCT FROM s.part_id
                        OR p.payment_point_id IS DISTINCT FROM s.point_id
                        OR p.ppm_id IS DISTINCT FROM s.manager_id
                        OR p.fsp_id IS DISTINCT FROM %(fsp)s);
                UPDATE spp_payment p
                   SET payroll_point_id = NULL, payment_point_id = NULL,
                       ppm_id = NULL, fsp_id = %(fsp)s
                 WHERE p.payroll_id = %(payroll)s
                   AND (p.payroll_point_id IS NOT NULL
                        OR p.fsp_id IS DISTINCT FROM %(fsp)s)
                   AND NOT EXISTS (SELECT 1 FROM spp_ppm_split s
                                    WHERE s.payment_id = p.id);
                DELETE FROM spp_payroll_point pp
                 WHERE pp.payroll_id = %(payroll)s
                   AND NOT EXISTS (SELECT 1 FROM spp_ppm_parts t WHERE t.id = pp.id);
                DROP TABLE spp_ppm_parts;
                """,
                payroll=self.id,
                company=self.company_id.id,
                uid=self.env.uid,
                fsp=fsp.id,
            )
        )

    def _spp_sync_payment_ppm(self):
        """The stored PPM of the payments follows their part's, in one statement."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_payment p SET ppm_id = pp.manager_id
                  FROM spp_payroll_point pp
                 WHERE pp.payroll_id = %s AND p.payroll_point_id = pp.id
                   AND p.ppm_id IS DISTINCT FROM pp.manager_id
                """,
                self.id,
            )
        )
        self.env["spp.payment"].invalidate_model(["ppm_id"])

    def action_assign_ppms(self):
        """Give each part without a PPM an approved, active PPM allowed to
        serve its point, the least loaded first, no PPM above the carry limit."""
        self.ensure_one()
        self.check_access("write")
        self._spp_check_payments_open()
        limit = self.cycle_id.ppm_carry_limit or 0
        parts = self.payroll_point_ids
        load = {}
        for part in parts.filtered("manager_id"):
            load[part.manager_id.id] = (
                load.get(part.manager_id.id, 0) + part.amount_total
            )
        managers = self.env["spp.payment.point.manager"].search(
            [
                ("approval_state", "=", "approved"),
                ("state", "=", "active"),
                ("point_ids", "in", parts.payment_point_id.ids),
            ]
        )
        serving = {}
        for manager in managers:
            for point in manager.point_ids:
                serving.setdefault(point.id, []).append(manager.id)
        ids, chosen = [], []
        for part in parts.filtered(lambda p: not p.manager_id).sorted(
            lambda p: -p.amount_total
        ):
            fits = [
                m
                for m in serving.get(part.payment_point_id.id, [])
                if not limit or load.get(m, 0) + part.amount_total <= limit
            ]
            if not fits:
                continue
            best = min(fits, key=lambda m: (load.get(m, 0), m))
            load[best] = load.get(best, 0) + part.amount_total
            ids.append(part.id)
            chosen.append(best)
        if ids:
            self.env.cr.execute(
                SQL(
                    "UPDATE spp_payroll_point pp SET manager_id = v.m FROM "
                    "unnest(%s::int[], %s::int[]) AS v(id, m) WHERE pp.id = v.id",
                    ids,
                    chosen,
                )
            )
            self.env["spp.payroll.point"].invalidate_model(["manager_id"])
            self._spp_sync_payment_ppm()
            self._spp_record_contributor("lines")
        return len(ids)

    # Submission ----------------------------------------------------------

    def _spp_check_can_submit(self):
        result = super()._spp_check_can_submit()
        if self.kind == "payment_point":
            self._spp_check_points_ready()
        return result

    def _spp_check_points_ready(self):
        """Refuse a PPM payroll with an undecided member, an ungrouped payment,
        a part without an eligible PPM, a payment or a PPM above the carry
        limit."""
        self.env.flush_all()
        issues = self.point_issue_ids.filtered(lambda i: i.decision == "undecided")
        if issues:
            raise UserError(
                self.env._(
                    "%(count)s members match no payment point or several: assign "
                    "each to a point or exclude it before submitting (%(refs)s).",
                    count=len(issues),
                    refs=issues.payment_id._spp_refs(issues.payment_id),
                )
            )
        payments = self.env["spp.payment"]
        ungrouped = payments.search(
            [
                ("payroll_id", "=", self.id),
                ("payroll_point_id", "=", False),
                ("entitlement_rejected", "=", False),
            ]
        )
        if ungrouped:
            raise UserError(
                self.env._(
                    "Payments not in any payment point part: %s. Group the "
                    "payroll again.",
                    payments._spp_refs(ungrouped),
                )
            )
        limit = self.cycle_id.ppm_carry_limit or 0
        currency = self.currency_id
        if limit:
            over = payments.search(
                [
                    ("payroll_id", "=", self.id),
                    ("amount", ">", limit),
                    ("entitlement_rejected", "=", False),
                ]
            )
            if over:
                raise UserError(
                    self.env._(
                        "Payments above the cycle's carry limit of %(limit)s: "
                        "%(refs)s. No payment point manager may carry one; lower "
                        "them or raise the limit.",
                        limit=limit,
                        refs=payments._spp_refs(over),
                    )
                )
            parts_over = self.payroll_point_ids.filtered(
                lambda p: currency.compare_amounts(p.amount_total, limit) > 0
            )
            if parts_over:
                raise UserError(
                    self.env._(
                        "Parts above the carry limit (it changed since grouping): "
                        "%s. Group the payroll again.",
                        ", ".join(parts_over.mapped("display_name")),
                    )
                )
        orphans = self.payroll_point_ids.filtered(lambda p: not p.manager_id)
        if orphans:
            raise UserError(
                self.env._(
                    "Parts without a payment point manager: %s.",
                    ", ".join(orphans.mapped("display_name")),
                )
            )
        self.payroll_point_ids._spp_check_manager()
        if limit:
            load = {}
            for part in self.payroll_point_ids:
                load[part.manager_id] = load.get(part.manager_id, 0) + part.amount_total
            heavy = [
                f"{m.name} ({total})"
                for m, total in load.items()
                if currency.compare_amounts(total, limit) > 0
            ]
            if heavy:
                raise UserError(
                    self.env._(
                        "Payment point managers would carry more than the carry "
                        "limit of %(limit)s: %(ppms)s. Give each part its own PPM.",
                        limit=limit,
                        ppms=", ".join(heavy),
                    )
                )

    # Closing ---------------------------------------------------------------

    def action_close(self):
        """A PPM payroll closes only once every cash float of its cycle is
        closed (variance zero or explained); the lifecycle checks follow."""
        if not self.env.user.has_group(FINANCE_OFFICER):
            raise AccessError(self.env._("Only finance users close payrolls."))
        for payroll in self.filtered(lambda p: p.kind == "payment_point"):
            if payroll.approval_state != "approved" or payroll.closed_date:
                raise UserError(
                    self.env._("%s is not an open approved payroll.", payroll.name)
                )
            if not payroll.ppm_float_ids or payroll.running:
                raise UserError(
                    self.env._("%s has not been executed yet.", payroll.name)
                )
            cycle_payrolls = self.search(
                [("cycle_id", "=", payroll.cycle_id.id), ("kind", "=", "payment_point")]
            )
            floats = self.env["spp.ppm.float"].search(
                [("payroll_id", "in", cycle_payrolls.ids), ("state", "=", "open")]
            )
            if floats:
                raise UserError(
                    self.env._(
                        "Cash floats of cycle %(cycle)s are still open: %(floats)s. "
                        "Record the cash returned and close them first.",
                        cycle=payroll.cycle_id.display_name,
                        floats=", ".join(floats.mapped("name")),
                    )
                )
        return super().action_close()

    def _spp_check_nothing_awaiting(self):
        # At a payment point, cash not handed out went back with the float the
        # PPM closed: its payments wait for nobody.
        return super(
            SppPayroll, self.filtered(lambda p: p.kind != "payment_point")
        )._spp_check_nothing_awaiting()

    # Navigation ------------------------------------------------------------

    def _spp_open(self, model, name, domain):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": domain,
            "context": {"default_payroll_id": self.id},
        }

    def action_view_point_parts(self):
        self.ensure_one()
        return self._spp_open(
            "spp.payroll.point",
            self.env._("Payment Point Parts"),
            [("payroll_id", "=", self.id)],
        )

    def action_view_point_issues(self):
        self.ensure_one()
        return self._spp_open(
            "spp.payroll.point.issue",
            self.env._("Point Decisions"),
            [("payroll_id", "=", self.id)],
        )

    def action_view_floats(self):
        self.ensure_one()
        return self._spp_open(
            "spp.ppm.float", self.env._("Cash Floats"), [("payroll_id", "=", self.id)]
        )

    def action_print_point_pdfs(self):
        self.ensure_one()
        if self.approval_state != "approved":
            raise UserError(self.env._("Per-point PDFs follow the approval."))
        return self.env.ref(
            "spp_payroll_ppm.action_report_spp_payroll_point"
        ).report_action(self.payroll_point_ids)


def _equality_groups(points):
    """({field path: {value: [point ids]}}, other points): the points whose
    criteria are one ``(path, '=' or 'in', integers or strings)`` condition,
    grouped by path, and the rest (compiled one by one)."""
    by_path, others = {}, points.browse()
    for point in points:
        try:
            domain = safe_eval(point.criteria_domain or "[]")
        except Exception:  # noqa: BLE001 - reported by _spp_criteria
            domain = None
        leaf = (
            domain[0] if isinstance(domain, list | tuple) and len(domain) == 1 else None
        )
        values = None
        if (
            isinstance(leaf, list | tuple)
            and len(leaf) == 3
            and isinstance(leaf[0], str)
        ):
            path, operator, value = leaf
            if operator == "=":
                values = [value]
            elif operator == "in" and isinstance(value, list | tuple) and value:
                values = list(value)
        if values and all(
            isinstance(v, int | str) and not isinstance(v, bool) for v in values
        ):
            group = by_path.setdefault(path, {})
            for value in dict.fromkeys(values):
                group.setdefault(value, []).append(point.id)
        else:
            others |= point
    return by_path, others


class SppPaymentPoint(models.Model):
    _inherit = "spp.payment.point"

    def _spp_criteria(self):
        """The point's criteria as a Domain on spp.program.membership."""
        self.ensure_one()
        try:
            return Domain(safe_eval(self.criteria_domain or "[]"))
        except Exception as error:
            raise ValidationError(
                self.env._(
                    "Payment point %(code)s: its criteria are not a valid domain: "
                    "%(error)s",
                    code=self.code,
                    error=error,
                )
            ) from error
