# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Payroll generation at national scale.

One SQL pass reads the selected members and what their amounts depend on (their
profile) into a temporary table, the core library computes one entitlement per
distinct profile, one INSERT ... SELECT writes the payments, and duplicate flags
and summaries are SQL statements over the payroll. No per-record ORM call and no
Python work per member. The dry run computes the same rows member by member.
"""

import dataclasses
import datetime
import io
import json
from decimal import Decimal

from spp_payment_core import entitlement

from odoo import fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from odoo.addons.spp_payment_base.tools import (
    bulk_work_mem,
    copy_bool,
    copy_into,
    copy_text,
    keys_checked_by_statement,
    refresh_statistics,
)
from odoo.addons.spp_payment_base.tools.schema import BULK_ROWS

from .spp_payment import UNPAID_STATES

PREVIEW_SAMPLE = 20
# Where a payment to registrant ``r`` goes, as read at generation: the mobile
# number, else the first active bank account (``b``, from BANK_JOIN).
DESTINATION_COLUMNS = SQL(
    "CASE WHEN r.phone_e164 IS NOT NULL THEN 'msisdn' "
    "WHEN b.acc_number IS NOT NULL THEN 'bank' END, "
    "COALESCE(r.phone_e164, b.acc_number)"
)
BANK_JOIN = SQL(
    "LEFT JOIN (SELECT DISTINCT ON (partner_id) partner_id, acc_number "
    "FROM res_partner_bank WHERE active ORDER BY partner_id, id) b "
    "ON b.partner_id = r.id"
)
# Room a payment being built takes in the generation INSERT's sort (measured:
# 51 MB for 200,000), with a margin.
SORT_BYTES_PER_MEMBER = 400
# Channel a payroll kind pays through; ad-hoc payrolls are imported, not generated.
KIND_CHANNEL = {"digital": "digital", "payment_point": "payment_point"}


# One file per concern of the payroll (here its generation and dry run), not one
# 1,000-line class: pylint-odoo's merge advice does not apply.
class SppPayroll(models.Model):
    """Generation and dry run of ``spp.payroll``, kept apart from its workflow."""

    _inherit = "spp.payroll"  # pylint: disable=consider-merging-classes-inherited

    # Entry points ----------------------------------------------------------

    def action_preview(self):
        """Dry run: counts, totals and variance against the previous cycle, with
        nothing written but the preview itself."""
        self.ensure_one()
        self._spp_check_generable()
        rows, ents = self._spp_compute_entitlements()
        preview = self._spp_totals(ents)
        held = self._spp_quarantined_members()
        preview["quarantined"] = sum(1 for row in rows if row.key in held)
        preview["variance"] = self._spp_variance(rows, ents, held)
        preview["date"] = fields.Datetime.to_string(fields.Datetime.now())
        self.preview = preview
        return preview

    def action_generate(self):
        self.ensure_one()
        self._spp_check_generable()
        if self.generated_date:
            raise UserError(self.env._("%s already has its payments.", self.name))
        self._spp_serialize_balance()
        if not self._spp_insert_payments():
            raise UserError(
                self.env._("No member matches the selection of %s.", self.name)
            )
        self._spp_record_contributor("generated")
        self._spp_run_checks()
        self.generated_date = fields.Datetime.now()
        return True

    def _spp_run_checks(self, again=False):
        """The payroll's duplicate checks, at generation and again at the
        submission of an edited payroll (``again``: flags of the earlier run
        are cleared first, since an edit may have removed their cause)."""
        if again:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    "UPDATE spp_payment SET is_duplicate = FALSE, "
                    "duplicate_reason = NULL WHERE payroll_id = %s AND is_duplicate",
                    self.id,
                )
            )
        self._spp_flag_duplicates()
        self._spp_flag_quarantine()
        if self.enforce_duplicates:
            self._spp_move_out_flagged()
        # Counts, totals and the approval amount follow from the flags.
        self.invalidate_recordset()
        self._spp_refresh_totals()

    def _spp_over_limit_ids(self):
        """Edited payments whose amount exceeds what generation would have
        allowed: the cycle's cap (on the amounts that count toward it, per
        payment paid including back payments) or the member's balance."""
        cycle = self.cycle_id
        extras = [r.code for r in cycle.rule_ids if not r.counts_toward_cap]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id
                  FROM spp_payment p
                  JOIN spp_program_membership m ON m.id = p.membership_id
                 WHERE p.payroll_id = %(payroll)s AND NOT p.entitlement_rejected
                   AND p.id IN (SELECT payment_id FROM spp_payment_change
                                 WHERE payroll_id = %(payroll)s)
                   AND ((%(has_cap)s AND p.amount > %(cap)s
                            * (1 + COALESCE(p.back_payment_count, 0))
                            + COALESCE((SELECT SUM(c.value::numeric)
                                          FROM jsonb_each_text(p.amount_breakdown) c
                                         WHERE c.key = ANY(%(extras)s)), 0))
                        OR (%(balance_based)s
                            AND p.amount > COALESCE(m.balance, 0)))
                 ORDER BY p.id
                """,
                payroll=self.id,
                has_cap=bool(cycle.has_cap),
                cap=Decimal(str(cycle.cap_amount or 0)),
                extras=extras,
                balance_based=bool(self.program_id.is_balance_based),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _spp_check_generable(self):
        self.check_access("write")
        if self.approval_state != "draft":
            raise UserError(self.env._("Payroll %s is no longer a draft.", self.name))
        if self.cycle_id.approval_state != "approved":
            raise UserError(
                self.env._("Cycle %s is not approved.", self.cycle_id.display_name)
            )
        if self.kind not in self._spp_kind_channels():
            raise UserError(self.env._("This kind of payroll is not generated."))

    def _spp_kind_channels(self):
        """Kind of payroll -> the members' channel it pays; a module adding a
        kind (selection_add) adds its channel here."""
        return dict(KIND_CHANNEL)

    # Selection -------------------------------------------------------------

    def _spp_member_domain(self):
        try:
            domain = Domain(safe_eval(self.member_domain or "[]"))
        except Exception as error:
            raise ValidationError(
                self.env._("The beneficiary filter is not a valid domain: %s", error)
            ) from error
        return Domain.AND(
            [
                domain,
                Domain("program_id", "=", self.program_id.id),
                Domain("state", "=", "enrolled"),
                Domain("channel", "=", self._spp_kind_channels()[self.kind]),
            ]
        )

    def _spp_selection_sql(self):
        """Ids of the members to pay: the filter, minus members who already have a
        live payment in this cycle (nobody is selected twice)."""
        query = self.env["spp.program.membership"]._search(self._spp_member_domain())
        return SQL(
            "SELECT id FROM (%s) s WHERE NOT EXISTS (SELECT 1 FROM spp_payment q "
            "WHERE q.live_cycle_id = %s AND q.membership_id = s.id)",
            query.subselect(),
            self.cycle_id.id,
        )

    def _spp_fetch_rows(self):
        """(membership, available balance, *amount inputs) per selected member."""
        self.env.flush_all()
        fields_ = self._spp_multiplier_fields()
        columns = SQL(", ").join(
            [SQL("m.id"), self._spp_available_sql()]
            + [SQL("m.%s", SQL.identifier(f)) for f in fields_]
        )
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM spp_program_membership m %s WHERE m.id IN (%s) "
                "ORDER BY m.id",
                columns,
                self._spp_reserved_join(),
                self._spp_selection_sql(),
            )
        )
        return fields_, self.env.cr.fetchall()

    # Balance programs: what another open payroll reserved is not available.

    def _spp_available_sql(self):
        """available = entitled - paid - reserved by open payments."""
        if not self.program_id.is_balance_based:
            return SQL("m.balance")
        return SQL("m.balance - COALESCE(r.reserved, 0)")

    def _spp_reserved_join(self):
        if not self.program_id.is_balance_based:
            return SQL()
        reserved = self.env["spp.program.membership"]._spp_reserved_sql(
            SQL("program_id = %s", self.program_id.id)
        )
        return SQL("LEFT JOIN (%s) r ON r.membership_id = m.id", reserved)

    def _spp_serialize_balance(self):
        """Two generations of one balance program run one after the other, the
        second seeing the first's payments: both update the program's row, so
        the second waits and, its snapshot being older than the first's commit,
        fails with a serialization error that Odoo retries on a new snapshot."""
        if self.program_id.is_balance_based:
            self.env.cr.execute(
                SQL(
                    "UPDATE spp_program SET write_date = write_date WHERE id = %s",
                    self.program_id.id,
                )
            )

    def _spp_rule_matches(self):
        """Member ids matching each component's condition, one query per rule."""
        membership = self.env["spp.program.membership"]
        matches = {}
        for rule in self.cycle_id.rule_ids:
            domain = Domain.AND([self._spp_member_domain(), rule._spp_domain()])
            query = membership._search(domain)
            self.env.cr.execute(query.select(SQL.identifier(query.table, "id")))
            matches[rule.code] = {row[0] for row in self.env.cr.fetchall()}
        return matches

    def _spp_missed_counts(self):
        """Past cycles of the program in which each member was issued a payment
        and never got one paid."""
        self.env.cr.execute(self._spp_missed_sql())
        return dict(self.env.cr.fetchall())

    def _spp_missed_sql(self):
        """Rows (membership_id, missed): see _spp_missed_counts."""
        return SQL(
            """
                SELECT p.membership_id, COUNT(DISTINCT p.cycle_id) AS missed
                  FROM spp_payment p
                  JOIN spp_payment_cycle c ON c.id = p.cycle_id
                 WHERE p.program_id = %(program)s AND c.date_end < %(start)s
                   AND p.state IN %(unpaid)s
                   AND NOT EXISTS (
                       SELECT 1 FROM spp_payment q
                        WHERE q.membership_id = p.membership_id
                          AND q.cycle_id = p.cycle_id AND q.state = 'paid')
                 GROUP BY p.membership_id
                """,
            program=self.program_id.id,
            start=self.cycle_id.date_start,
            unpaid=UNPAID_STATES,
        )

    def _spp_compute_entitlements(self):
        """Rows of the selected members and their entitlements (core library)."""
        fields_, records = self._spp_fetch_rows()
        matched = self._spp_matched_codes()
        missed = self._spp_missed_counts() if self._spp_wants_missed() else {}
        missed_min = self.missed_min
        balance_based = self.program_id.is_balance_based
        nothing, no_values = frozenset(), {}
        rows = []
        for member_id, balance, *values in records:
            missed_count = missed.get(member_id, 0)
            if missed_count < missed_min:
                continue
            rows.append(
                entitlement.Row(
                    key=member_id,
                    matched=matched.get(member_id, nothing),
                    values=dict(zip(fields_, values, strict=True))
                    if fields_
                    else no_values,
                    missed_payments=missed_count,
                    balance=Decimal(str(balance or 0)) if balance_based else None,
                )
            )
        rules = self._spp_entitlement_rules()
        # Rows pair with their entitlements by position (see compute_shared).
        return rows, entitlement.compute_shared(rules, rows)

    def _spp_matched_codes(self):
        """Member id -> codes of the components whose condition it meets; members
        with the same codes share one frozenset."""
        codes_of = {}
        for code, ids in self._spp_rule_matches().items():
            for member_id in ids:
                codes_of.setdefault(member_id, []).append(code)
        shared = {}
        return {
            member_id: shared.setdefault(tuple(codes), frozenset(codes))
            for member_id, codes in codes_of.items()
        }

    def _spp_entitlement_rules(self):
        rules = self.cycle_id._spp_entitlement_rules()
        if self.program_id.missed_payment_policy != "back_payment":
            # Back payments are one of three exclusive missed-payment policies.
            rules = dataclasses.replace(rules, back_payment_limit=0)
        return rules

    # Writing ---------------------------------------------------------------

    def _spp_insert_payments(self):
        """Write the payments of the selected members; returns how many.

        The members are read once, into a temporary table, with what their
        entitlement depends on (their profile: components matched, amount
        inputs, payments missed, balance). The core library computes one
        entitlement per distinct profile, with the very arithmetic of the dry
        run: a national payroll has a million members but few profiles. One
        INSERT ... SELECT then joins each member to its profile's entitlement.
        Nothing is done in Python per member."""
        cr = self.env.cr
        # Sorts and hashes over every member of the program: see bulk_work_mem.
        bulk_work_mem(cr, BULK_ROWS)
        # Left by an earlier generation of this transaction that failed.
        cr.execute(SQL("DROP TABLE IF EXISTS spp_gen_member, spp_gen_profile"))
        keys = self._spp_write_members()
        members = self._spp_write_profiles(keys)
        if not members:
            cr.execute(SQL("DROP TABLE spp_gen_member, spp_gen_profile"))
            return 0
        # The INSERT sorts the payments it builds by member (references in
        # member order): in memory, not merged on disk past 256 MB (1M members).
        sort_mb = members * SORT_BYTES_PER_MEMBER // 2**20
        if sort_mb > 256:
            cr.execute(SQL("SET LOCAL work_mem = %s", f"{sort_mb}MB"))
        cr.execute(SQL("ANALYZE spp_gen_member"))
        cr.execute(SQL("ANALYZE spp_gen_profile"))
        with self._spp_payment_keys_checked():
            self._spp_insert_generated()
        cr.execute(SQL("DROP TABLE spp_gen_member, spp_gen_profile"))
        refresh_statistics(cr, "spp_payment", members)
        self.env["spp.payment"].invalidate_model()
        self.invalidate_recordset(["payment_ids"])
        # The stored totals are counted once, after the flags (_spp_run_checks).
        return members

    def _spp_payment_keys_checked(self):
        """The payment inserts below join the memberships they pay and name
        this payroll: they check the payments' membership and payroll keys
        themselves, once for the lot (see GuardedMany2one), after writing the
        program's and the payroll's rows."""
        return keys_checked_by_statement(
            self.env.cr,
            "spp_payment",
            {"spp_program": [self.program_id.id], "spp_payroll": [self.id]},
        )

    def _spp_insert_generated(self):
        """One payment per member of spp_gen_member, at its profile's
        entitlement (spp_gen_profile), in member order."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO spp_payment (
                    reference, program_id, membership_id, partner_id, cycle_id,
                    live_cycle_id, payroll_id, fsp_id, channel, destination_type,
                    destination, amount, amount_breakdown, state, is_capped,
                    is_over_balance, back_payment_count, entitlement_rejected,
                    status_reason, is_duplicate, company_id, currency_id,
                    create_uid, create_date, write_uid, write_date)
                SELECT %(reference)s,
                       m.program_id, m.id, m.partner_id, %(cycle)s, %(cycle)s,
                       %(payroll)s,
                       m.fsp_id, m.channel, %(destination)s,
                       v.amount, v.breakdown, 'draft', v.capped, v.over_balance,
                       v.back, v.rejected, v.reason, FALSE,
                       m.company_id, m.currency_id,
                       %(uid)s, now() at time zone 'utc',
                       %(uid)s, now() at time zone 'utc'
                  FROM spp_gen_member g
                  JOIN spp_gen_profile v ON v.profile = g.profile
                  JOIN spp_program_membership m ON m.id = g.member
                  JOIN res_partner r ON r.id = m.partner_id
                  %(banks)s
                 ORDER BY g.member
                """,
                reference=self.env["spp.payment"]._spp_reference_sql(),
                destination=DESTINATION_COLUMNS,
                banks=BANK_JOIN,
                cycle=self.cycle_id.id,
                payroll=self.id,
                uid=self.env.uid,
            )
        )

    def _spp_profile_keys(self):
        """(column, SQL over member ``m``) of what an entitlement depends on:
        one boolean per component with a condition, the amount inputs (NULL
        counts as 0, as in the core library), payments missed (``mc``, see
        _spp_missed_sql) and the available balance."""
        keys = []
        membership = self.env["spp.program.membership"]
        for index, rule in enumerate(self.cycle_id.rule_ids):
            # The members are those of _spp_member_domain already: the rule's
            # own condition is all that is left to match.
            domain = rule._spp_domain()
            if domain.is_true():
                keys.append((f"c{index}", SQL("TRUE")))
                continue
            query = membership._search(domain)
            keys.append((f"c{index}", SQL("m.id IN (%s)", query.subselect())))
        for name in self._spp_multiplier_fields():
            keys.append((f"v_{name}", SQL("COALESCE(m.%s, 0)", SQL.identifier(name))))
        if self._spp_wants_missed():
            keys.append(("missed", SQL("COALESCE(mc.missed, 0)")))
        if self.program_id.is_balance_based:
            keys.append(("balance", SQL("COALESCE(%s, 0)", self._spp_available_sql())))
        return keys

    def _spp_multiplier_fields(self):
        """Names of the membership fields the cycle pays per unit of (read as
        configuration: officers have no access to ``ir.model.fields``)."""
        rules = self.cycle_id.rule_ids.sudo()
        return sorted({r.multiplier_field_id.name for r in rules} - {False})

    def _spp_wants_missed(self):
        return (
            self.missed_min > 0
            or self.program_id.missed_payment_policy == "back_payment"
        )

    def _spp_write_members(self):
        """The selected members and their profiles, in temporary table
        ``spp_gen_member`` (member, *profile keys); returns the keys."""
        self.env.flush_all()
        keys = self._spp_profile_keys()
        missed_join, missed_where = SQL(), SQL()
        if self._spp_wants_missed():
            missed_join = SQL(
                "LEFT JOIN (%s) mc ON mc.membership_id = m.id",
                self._spp_missed_sql(),
            )
            missed_where = SQL("AND COALESCE(mc.missed, 0) >= %s", self.missed_min)
        self.env.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE spp_gen_member ON COMMIT DROP AS
                SELECT *, dense_rank() OVER (ORDER BY %(order)s) AS profile
                  FROM (SELECT %(columns)s
                          FROM spp_program_membership m %(reserved)s %(missed_join)s
                         WHERE m.id IN (%(selection)s) %(missed_where)s) s
                """,
                columns=SQL(", ").join(
                    [SQL("m.id AS member")]
                    + [SQL("%s AS %s", expr, SQL.identifier(k)) for k, expr in keys]
                ),
                # One number per profile: the payments join it on one column.
                order=SQL(", ").join(
                    [SQL.identifier(k) for k, _e in keys] or [SQL("1")]
                ),
                reserved=self._spp_reserved_join(),
                missed_join=missed_join,
                selection=self._spp_selection_sql(),
                missed_where=missed_where,
            )
        )
        return keys

    def _spp_write_profiles(self, keys):
        """One entitlement per profile of ``spp_gen_member``, computed by the
        core library, into temporary table ``spp_gen_profile``; returns the
        number of members."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "CREATE TEMP TABLE spp_gen_profile (profile bigint, amount numeric, "
                "breakdown jsonb, capped bool, over_balance bool, back int, "
                "rejected bool, reason text) ON COMMIT DROP"
            )
        )
        # A member of each profile names the row in the core library's errors.
        columns = [SQL.identifier(k) for k, _e in keys]
        cr.execute(
            SQL(
                "SELECT profile, MIN(member), COUNT(*)%s FROM spp_gen_member "
                "GROUP BY %s",
                SQL("").join(SQL(", %s", c) for c in columns),
                SQL(", ").join([SQL("profile"), *columns]),
            )
        )
        profiles = cr.fetchall()  # before the ORM reads the cycle below
        compute = entitlement.compile_rules(self._spp_entitlement_rules())
        codes = [rule.code for rule in self.cycle_id.rule_ids]
        fields_ = self._spp_multiplier_fields()
        balance_based = self.program_id.is_balance_based
        wants_missed = self._spp_wants_missed()
        buffer = io.StringIO()
        members = 0
        for profile, member, count, *values in profiles:
            members += count
            matched = frozenset(
                code for code, hit in zip(codes, values, strict=False) if hit
            )
            rest = values[len(codes) :]
            amounts = dict(zip(fields_, rest, strict=False))
            rest = rest[len(fields_) :]
            missed = rest.pop(0) if wants_missed else 0
            balance = Decimal(str(rest.pop(0) or 0)) if balance_based else None
            ent = compute(
                entitlement.Row(
                    key=member,
                    matched=matched,
                    values=amounts,
                    missed_payments=missed,
                    balance=balance,
                )
            )
            buffer.write(f"{profile}\t{_copy_tail(ent)}")
        copy_into(cr, "spp_gen_profile", buffer)
        return members

    def _spp_flag_duplicates(self):
        """Same beneficiary twice in the cycle, one destination for several
        beneficiaries, one national ID on several registrants."""
        self.env.cr.execute(
            SQL(
                """
                WITH mine AS (
                    SELECT p.id, p.cycle_id, p.partner_id, p.destination,
                           p.live_cycle_id IS NOT NULL AS live
                      FROM spp_payment p WHERE p.payroll_id = %(payroll)s
                ), live AS (
                    -- The cycle's live payments, read once and grouped: no
                    -- index per column to keep up on every payment write.
                    SELECT q.live_cycle_id AS cycle_id, q.partner_id, q.destination
                      FROM spp_payment q
                     WHERE q.live_cycle_id IN (SELECT cycle_id FROM mine)
                ), twice AS (
                    -- Only the groups that flag: a handful, not a million.
                    SELECT cycle_id, partner_id
                      FROM live GROUP BY cycle_id, partner_id HAVING COUNT(*) > 1
                ), shared AS (
                    SELECT cycle_id, destination
                      FROM live WHERE destination IS NOT NULL
                     GROUP BY cycle_id, destination
                    HAVING MIN(partner_id) <> MAX(partner_id)
                ), flags AS (
                    -- Another live payment of the beneficiary in the cycle: a
                    -- live one is in a group of two; one no longer live (an
                    -- edited payroll checked again) needs any live one.
                    SELECT m.id, 'beneficiary twice in the cycle' AS reason
                      FROM mine m
                      JOIN twice t ON t.cycle_id = m.cycle_id
                                  AND t.partner_id = m.partner_id
                     WHERE m.live
                    UNION ALL
                    SELECT m.id, 'beneficiary twice in the cycle'
                      FROM mine m
                     WHERE NOT m.live AND EXISTS (
                           SELECT 1 FROM spp_payment q
                            WHERE q.partner_id = m.partner_id
                              AND q.live_cycle_id = m.cycle_id)
                    UNION ALL
                    -- A live payment of someone else to the same destination:
                    -- a group of two beneficiaries or more (a semi-join: the
                    -- few groups hashed, not a million payments sorted); or,
                    -- for a payment no longer live, anyone else's.
                    SELECT m.id, 'destination shared with another beneficiary'
                      FROM mine m
                     WHERE EXISTS (SELECT 1 FROM shared d
                                    WHERE d.cycle_id = m.cycle_id
                                      AND d.destination = m.destination)
                    UNION ALL
                    SELECT m.id, 'destination shared with another beneficiary'
                      FROM mine m
                     WHERE NOT m.live AND m.destination IS NOT NULL
                       AND NOT EXISTS (SELECT 1 FROM shared d
                                        WHERE d.cycle_id = m.cycle_id
                                          AND d.destination = m.destination)
                       AND EXISTS (SELECT 1 FROM live q
                                    WHERE q.cycle_id = m.cycle_id
                                      AND q.destination = m.destination
                                      AND q.partner_id <> m.partner_id)
                    UNION ALL
                    SELECT m.id, 'national ID shared with another registrant'
                      FROM mine m JOIN res_partner r ON r.id = m.partner_id
                     WHERE r.national_id IS NOT NULL
                       AND EXISTS (SELECT 1 FROM res_partner o
                                    WHERE o.national_id = r.national_id
                                      AND o.id <> r.id AND o.is_registrant)
                )
                UPDATE spp_payment p
                   SET is_duplicate = TRUE, duplicate_reason = f.reasons
                  FROM (SELECT id, string_agg(reason, '; ' ORDER BY reason) AS reasons
                          FROM flags GROUP BY id) f
                 WHERE p.id = f.id
                """,
                payroll=self.id,
            )
        )
        self.env["spp.payment"].invalidate_model(["is_duplicate", "duplicate_reason"])

    def _spp_quarantine_since(self):
        """Start of the quarantine window, or None when the program has none."""
        days = self.program_id.destination_quarantine_days
        if days <= 0:
            return None
        return self.env.cr.now() - datetime.timedelta(days=days)

    def _spp_quarantined_members(self):
        """Ids of the program's members changed within the window."""
        since = self._spp_quarantine_since()
        if since is None:
            return frozenset()
        changes = self.env["spp.destination.change"]
        changes.flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT membership_id FROM (%s) q",
                changes._spp_recent_sql(self.program_id, since),
            )
        )
        return frozenset(row[0] for row in self.env.cr.fetchall())

    def _spp_flag_quarantine(self):
        """Hold the payroll's payments whose member's destination or money
        fields changed within the program's window, in one statement."""
        since = self._spp_quarantine_since()
        if since is None:
            return
        self.env["spp.destination.change"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_payment p
                   SET is_quarantined = TRUE,
                       quarantine_reason = %(prefix)s || q.labels
                  FROM (%(recent)s) q
                 WHERE p.payroll_id = %(payroll)s
                   AND p.membership_id = q.membership_id
                """,
                prefix=self.env._(
                    "Changed within %s days: ",
                    self.program_id.destination_quarantine_days,
                ),
                recent=self.env["spp.destination.change"]._spp_recent_sql(
                    self.program_id, since
                ),
                payroll=self.id,
            )
        )
        self.env["spp.payment"].invalidate_model(
            ["is_quarantined", "quarantine_reason"]
        )

    def _spp_move_out_flagged(self):
        """Enforced duplicates leave the payroll, cancelled, into their own report."""
        flagged = self._spp_payments_where(SQL("is_duplicate"))
        flagged._set_cancelled(reason=self.env._("Duplicate flag: moved out."))
        self.env.cr.execute(
            SQL(
                "UPDATE spp_payment SET excluded_payroll_id = payroll_id, "
                "payroll_id = NULL WHERE id = ANY(%s)",
                flagged.ids,
            )
        )
        self.env["spp.payment"].invalidate_model(["payroll_id", "excluded_payroll_id"])
        self.invalidate_recordset(["payment_ids", "excluded_payment_ids"])

    def _spp_generate_undelivered(self, parent, unpaid):
        """Re-issue ``unpaid`` payments of ``parent`` in this payroll, to the
        member's current destination and FSP; the old ones are cancelled first
        so a member never has two live payments. Members no longer enrolled in
        the payroll's channel, or whose balance no longer covers the payment,
        are left out and reported."""
        self.write({"origin": "undelivered", "parent_payroll_id": parent.id})
        self._spp_serialize_balance()
        reissue, skipped = self._spp_undelivered_selection(unpaid)
        if not reissue:
            raise UserError(
                self.env._(
                    "No payment of %(payroll)s can be re-issued: %(why)s",
                    payroll=parent.name,
                    why=skipped,
                )
            )
        reissue._set_cancelled(
            reason=self.env._("Re-issued in undelivered payroll %s.", self.name)
        )
        with self._spp_payment_keys_checked():
            self._spp_insert_reissued(reissue)
        self.env["spp.payment"].invalidate_model()
        self.generated_date = fields.Datetime.now()
        self._spp_record_contributor("generated")
        self._spp_flag_duplicates()
        self._spp_flag_quarantine()
        self._spp_refresh_totals()
        if skipped:
            self.message_post(body=self.env._("Not re-issued: %s", skipped))

    def _spp_insert_reissued(self, reissue):
        """A new draft payment in this payroll per payment of ``reissue``, to
        the member's current FSP and destination."""
        self.env.cr.execute(
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
                       p.program_id, p.membership_id, p.partner_id, p.cycle_id,
                       p.cycle_id, %(payroll)s, m.fsp_id, p.channel,
                       %(destination)s,
                       p.amount, p.amount_breakdown, 'draft', p.is_capped,
                       p.is_over_balance, p.back_payment_count, FALSE, FALSE,
                       p.company_id, p.currency_id,
                       %(uid)s, now() at time zone 'utc',
                       %(uid)s, now() at time zone 'utc'
                  FROM spp_payment p
                  JOIN spp_program_membership m ON m.id = p.membership_id
                  JOIN res_partner r ON r.id = p.partner_id
                  %(banks)s
                 WHERE p.id = ANY(%(ids)s)
                """,
                reference=self.env["spp.payment"]._spp_reference_sql(),
                payroll=self.id,
                destination=DESTINATION_COLUMNS,
                banks=BANK_JOIN,
                uid=self.env.uid,
                ids=reissue.ids,
            )
        )

    def _spp_undelivered_selection(self, unpaid):
        """(payments to re-issue, text of the others and why), in one query."""
        self.env.flush_all()
        balance_short = (
            SQL("%s < p.amount", self._spp_available_sql())
            if self.program_id.is_balance_based
            else SQL("FALSE")
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id,
                       CASE WHEN m.id IS NULL OR m.state <> 'enrolled'
                              THEN 'unenrolled'
                            WHEN m.channel <> p.channel THEN 'channel'
                            WHEN %(short)s THEN 'balance'
                       END
                  FROM spp_payment p
             LEFT JOIN spp_program_membership m ON m.id = p.membership_id
                  %(reserved)s
                 WHERE p.id = ANY(%(ids)s)
                """,
                short=balance_short,
                reserved=self._spp_reserved_join(),
                ids=unpaid.ids,
            )
        )
        keep, left_out = [], {}
        for payment_id, why in self.env.cr.fetchall():
            if why:
                left_out.setdefault(why, []).append(payment_id)
            else:
                keep.append(payment_id)
        labels = {
            "unenrolled": self.env._("not enrolled any more"),
            "channel": self.env._("paid through another channel now"),
            "balance": self.env._("balance used up"),
        }
        payments = self.env["spp.payment"]
        report = "; ".join(
            f"{labels[why]}: {payments._spp_refs(payments.browse(ids))}"
            for why, ids in sorted(left_out.items())
        )
        return payments.browse(keep), report

    # Dry run ---------------------------------------------------------------

    def _spp_totals(self, ents):
        paid = [e for e in ents if not e.rejected]
        return {
            "payments": len(ents),
            "amount": str(sum((e.amount for e in paid), Decimal(0))),
            "capped": sum(e.capped for e in ents),
            "rejected": sum(e.rejected for e in ents),
            "over_balance": sum(e.over_balance for e in ents),
            "back_payments": sum(1 for e in ents if e.back_payments),
        }

    def _spp_previous_payroll(self):
        return self.search(
            [
                ("program_id", "=", self.program_id.id),
                ("kind", "=", self.kind),
                ("origin", "=", "regular"),
                ("approval_state", "=", "approved"),
                ("cycle_id.date_start", "<", self.cycle_id.date_start),
            ],
            order="id desc",
            limit=1,
        )

    def _spp_variance(self, rows, ents, held=frozenset()):
        quarantined = [row.key for row in rows if row.key in held]
        previous = self._spp_previous_payroll()
        if not previous:
            return {
                "previous": None,
                "quarantined": len(quarantined),
                "samples": self._spp_variance_samples([], [], [], [], quarantined),
            }
        self.env.cr.execute(
            SQL(
                """
                SELECT p.membership_id, p.amount, p.destination,
                       COALESCE(r.phone_e164, b.acc_number), r.registrant_number
                  FROM spp_payment p
                  JOIN res_partner r ON r.id = p.partner_id
             LEFT JOIN LATERAL (SELECT acc_number FROM res_partner_bank
                                 WHERE partner_id = r.id AND active
                                 ORDER BY id LIMIT 1) b ON TRUE
                 WHERE p.payroll_id = %s
                """,
                previous.id,
            )
        )
        before = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        now = {row.key: e.amount for row, e in zip(rows, ents, strict=True)}
        threshold = Decimal(str(self.variance_threshold or 0)) / 100
        changed = [
            key
            for key, amount in now.items()
            if key in before
            and before[key][0]
            and abs(amount - Decimal(str(before[key][0])))
            > threshold * Decimal(str(before[key][0]))
        ]
        moved = [
            key
            for key in now
            if key in before and before[key][1] and before[key][1] != before[key][2]
        ]
        new = [key for key in now if key not in before]
        dropped = [key for key in before if key not in now]
        return {
            "previous": previous.display_name,
            "new": len(new),
            "dropped": len(dropped),
            "amount_changed": len(changed),
            "destination_changed": len(moved),
            "quarantined": len(quarantined),
            "samples": self._spp_variance_samples(
                new, dropped, changed, moved, quarantined
            ),
        }

    def _spp_variance_samples(self, *groups):
        names = (
            "new",
            "dropped",
            "amount_changed",
            "destination_changed",
            "quarantined",
        )
        members = self.env["spp.program.membership"]
        return {
            name: members.browse(ids[:PREVIEW_SAMPLE]).partner_id.mapped(
                "registrant_number"
            )
            for name, ids in zip(names, groups, strict=True)
        }


def _copy_tail(ent):
    """The COPY columns of an entitlement after the member id."""
    breakdown = json.dumps({k: str(v) for k, v in ent.breakdown.items()})
    reason = copy_text(ent.reason)
    return (
        f"{ent.amount}\t{copy_text(breakdown)}\t{copy_bool(ent.capped)}\t"
        f"{copy_bool(ent.over_balance)}\t{ent.back_payments}\t"
        f"{copy_bool(ent.rejected)}\t{reason}\n"
    )
