# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import datetime

from psycopg2.errors import LockNotAvailable, SerializationFailure
from spp_payment_core import voucher_token as vt

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import (
    DerivedMany2one,
    bulk_work_mem,
    guarded_write,
    is_guarded_write,
    refresh_statistics,
    refuse_fields,
)

VOUCHER_STATES = [
    ("active", "Active"),
    ("partial", "Partially Redeemed"),
    ("redeemed", "Redeemed"),
    ("suspended", "Suspended"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]
SPENDABLE = ("active", "partial")
LEDGER_GUARD = "voucher_ledger"
# Written only by the generation, the ledger and the approved state changes.
GUARDED_FIELDS = frozenset(
    {
        "name",
        "payment_id",
        "program_id",
        "cycle_id",
        "company_id",
        "currency_id",
        "partner_id",
        "amount",
        "balance",
        "held_amount",
        "valid_from",
        "valid_until",
        "key_id",
        "code_hash",
        "state",
        "origin_voucher_id",
    }
)
# A balance left in one of these went back to the cycle (spp.voucher.release).
CLOSED_WITH_BALANCE = ("expired", "cancelled")


def code_sql(inner, outer, id_sql):
    """SQL computing ``voucher_token.derive_code`` of the voucher id
    ``id_sql`` with PostgreSQL's own sha256(): the HMAC from its two pads, its
    first 50 bits as 10 Crockford base32 characters.

    The HMAC is computed once per voucher, in a subquery that OFFSET 0 keeps
    apart: pulled up into the ten characters that read it, it was computed
    ten times (a third of the generation's time at a million vouchers)."""
    digest = SQL(
        "sha256(%s || sha256(%s || convert_to((%s)::text, 'UTF8')))",
        outer,
        inner,
        id_sql,
    )
    # The digest's first 64 bits; a signed bigint, but only the 50 bits from
    # the top are read, by shifts right and a 5-bit mask.
    bits = SQL(
        "('x' || encode(substring(%s from 1 for 8), 'hex'))::bit(64)::bigint", digest
    )
    characters = SQL(" || ").join(
        SQL("substr(%s, ((h.bits >> %s) & 31)::int + 1, 1)", vt.ALPHABET, shift)
        for shift in range(64 - 5, 64 - vt.CODE_BITS - 1, -5)
    )
    return SQL("(SELECT %s FROM (SELECT %s AS bits OFFSET 0) h)", characters, bits)


def lock_rows(records):
    """Lock ``records`` without waiting, as lock_for_update does (its query),
    with its expected failures not logged as errors. False when a row is
    locked by another transaction, or changed since this one began (under
    REPEATABLE READ it could not be updated: a serialization failure, caught
    here and undone by the savepoint)."""
    if not records:
        return True
    records.env.flush_all()
    cr = records.env.cr
    try:
        with cr.savepoint(flush=False):
            cr.execute(
                SQL(
                    "SELECT id FROM %s WHERE id = ANY(%s) FOR UPDATE SKIP LOCKED",
                    SQL.identifier(records._table),
                    list(records.ids),
                ),
                log_exceptions=False,
            )
            locked = cr.rowcount
    except (SerializationFailure, LockNotAvailable):
        return False
    records.invalidate_recordset()
    return locked == len(records)


class SppVoucher(models.Model):
    """A voucher issued for one payment of a voucher payroll. Its balance moves
    only through the redemption ledger's one locked method; the database keeps
    only a hash of its secret code."""

    _name = "spp.voucher"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Voucher"
    _order = "id desc"

    name = fields.Char(string="Number", required=True, readonly=True, index=True)
    payment_id = fields.Many2one(
        "spp.payment", required=True, readonly=True, index=True, ondelete="restrict"
    )
    payroll_id = fields.Many2one(
        related="payment_id.payroll_id", string="Payroll", readonly=True
    )
    # Implied by the payment (foreign-keyed, its own implied columns guarded
    # in Python) or guarded here (key, users: spp_voucher_references): no
    # foreign keys, which took 15 to 28 s each (measured) when a payroll issues
    # a million vouchers, one query per row (see DerivedMany2one).
    program_id = DerivedMany2one("spp.program", required=True, readonly=True)
    cycle_id = DerivedMany2one("spp.payment.cycle", readonly=True, index=True)
    company_id = DerivedMany2one("res.company", required=True, readonly=True)
    currency_id = DerivedMany2one("res.currency", required=True, readonly=True)
    partner_id = DerivedMany2one(
        "res.partner", string="Beneficiary", required=True, readonly=True, index=True
    )
    create_uid = DerivedMany2one("res.users", string="Created by", readonly=True)
    write_uid = DerivedMany2one("res.users", string="Last Updated by", readonly=True)
    collector_id = fields.Many2one("res.partner", string="Alternate Collector")
    amount = fields.Monetary(required=True, readonly=True)
    balance = fields.Monetary(required=True, readonly=True)
    held_amount = fields.Monetary(
        string="Held", readonly=True, default=0, help="Reserved by open POS holds."
    )
    available_amount = fields.Monetary(
        string="Available", compute="_compute_available_amount"
    )
    valid_from = fields.Date(required=True, readonly=True)
    valid_until = fields.Date(required=True, readonly=True, index=True)
    merchant_category_ids = fields.Many2many(
        "spp.merchant.category",
        string="Merchant Categories",
        help="Empty: the program's voucher categories apply.",
    )
    merchant_ids = fields.Many2many(
        "spp.merchant",
        string="Allowed Merchants",
        help="Empty: the program's allowed merchants apply (empty too: any).",
    )
    key_id = DerivedMany2one("spp.voucher.key", readonly=True)
    # sha256 of the secret code; the code itself is derived when printed.
    code_hash = fields.Char(readonly=True, copy=False)
    state = fields.Selection(
        VOUCHER_STATES, default="active", required=True, readonly=True, index=True
    )
    redemption_ids = fields.One2many(
        "spp.voucher.redemption", "voucher_id", readonly=True
    )
    origin_voucher_id = fields.Many2one(
        "spp.voucher", string="Re-issue Of", readonly=True, index="btree_not_null"
    )
    release_ids = fields.One2many("spp.voucher.release", "voucher_id", readonly=True)

    _balance_not_negative = models.Constraint(
        "CHECK(balance >= 0 AND balance <= amount)",
        "A voucher's balance stays between zero and its amount.",
    )
    _held_within_balance = models.Constraint(
        "CHECK(held_amount >= 0 AND held_amount <= balance)",
        "Holds on a voucher stay within its balance.",
    )
    _code_hash_unique = models.UniqueIndex(
        "(code_hash) WHERE code_hash IS NOT NULL",
        "Two vouchers cannot share a code.",
    )
    # Approving a payroll twice cannot issue a payment twice.
    _one_per_payment = models.UniqueIndex(
        "(payment_id) WHERE origin_voucher_id IS NULL",
        "A payment has one voucher (re-issues aside).",
    )

    @api.depends("balance", "held_amount")
    def _compute_available_amount(self):
        for voucher in self:
            voucher.available_amount = voucher.balance - voucher.held_amount

    # Write protection ----------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not is_guarded_write(LEDGER_GUARD):
            raise UserError(
                self.env._(
                    "Vouchers are issued by approving a voucher payroll or by an "
                    "approved re-issue, not created by hand."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        if not is_guarded_write(LEDGER_GUARD):
            refuse_fields(
                GUARDED_FIELDS & vals.keys(),
                self.env._(
                    "A voucher's %s change only through its ledger and approved "
                    "state changes."
                ),
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        if not is_guarded_write(LEDGER_GUARD):
            raise UserError(self.env._("Vouchers are kept; cancel them instead."))

    # Generation (set-based) ---------------------------------------------------

    @api.model
    def _spp_generate(self, payroll):
        """One voucher per approved voucher payment of ``payroll``, in SQL: ids
        drawn from the sequence, codes derived from them by the program's
        HMAC secret and kept as hashes only. A code colliding with another
        voucher's leaves its row out (ON CONFLICT) and the next round gives it
        a new id, hence a new code. Returns the number of vouchers issued."""
        program = payroll.program_id
        secret = program._spp_voucher_secret()
        inner, outer = vt.hmac_pads(secret)
        key = self.env["spp.voucher.key"]._spp_active_key(program, create=True)
        today = fields.Date.context_today(self)
        until = today + datetime.timedelta(days=program.voucher_validity_days or 90)
        self.env.flush_all()
        cr = self.env.cr
        # Not payroll.payment_count: its summary runs every aggregate of the form.
        cr.execute(
            SQL("SELECT COUNT(*) FROM spp_payment WHERE payroll_id = %s", payroll.id)
        )
        bulk_work_mem(cr, cr.fetchone()[0])
        issued = 0
        for _round in range(10):
            cr.execute(
                SQL(
                    """
                    WITH todo AS (
                        SELECT nextval('spp_voucher_id_seq') AS id, p.id AS payment_id,
                               p.program_id, p.cycle_id, p.company_id, p.currency_id,
                               p.partner_id, p.amount
                          FROM spp_payment p
                         WHERE p.payroll_id = %(payroll)s AND p.state = 'approved'
                           AND p.channel = 'voucher' AND p.amount > 0
                           AND NOT EXISTS (
                               SELECT 1 FROM spp_voucher v WHERE v.payment_id = p.id
                                  AND v.origin_voucher_id IS NULL)
                    )
                    INSERT INTO spp_voucher (
                        id, name, payment_id, program_id, cycle_id, company_id,
                        currency_id, partner_id, amount, balance, held_amount,
                        valid_from, valid_until, key_id, code_hash, state,
                        create_uid, create_date, write_uid, write_date)
                    SELECT id, 'V' || lpad(id::text, 9, '0'), payment_id, program_id,
                           cycle_id, company_id, currency_id, partner_id, amount,
                           amount, 0, %(today)s, %(until)s, %(key)s,
                           encode(sha256(convert_to(%(code)s, 'UTF8')), 'hex'),
                           'active', %(uid)s, now() at time zone 'utc',
                           %(uid)s, now() at time zone 'utc'
                      FROM todo
                    ON CONFLICT DO NOTHING
                    """,
                    payroll=payroll.id,
                    today=today,
                    until=until,
                    key=key.id,
                    code=code_sql(inner, outer, SQL("todo.id")),
                    uid=self.env.uid,
                )
            )
            if not cr.rowcount:
                break
            issued += cr.rowcount
        refresh_statistics(cr, self._table, issued)
        self.invalidate_model()
        return issued

    # Codes and tokens (printing and sending time only) ---------------------------

    def _spp_code(self):
        """The secret code, derived again: never stored, never logged."""
        self.ensure_one()
        secret = self.program_id._spp_voucher_secret()
        return vt.format_code(vt.derive_code(secret, self.id))

    def _spp_token(self):
        """The signed token of the QR, by the program's active key."""
        self.ensure_one()
        return self._spp_secrets()[self.id][1]

    def _spp_secrets(self):
        """{voucher id: (code "XXXXX-XXXXX", signed token)} for printing or
        sending a batch: per program its secret, active key and loaded signing
        key once, per voucher its HMAC code derived once (the token carries
        it), and the vouchers signed by another key moved to it in one write."""
        keys = self.env["spp.voucher.key"]
        result = {}
        for program, vouchers in self.grouped("program_id").items():
            secret = program._spp_voucher_secret()
            key = keys._spp_active_key(program)
            signer = vt.signing_key(key.sudo().private_key)
            for voucher in vouchers:
                code = vt.derive_code(secret, voucher.id)
                token = vt.encode_token(
                    signer,
                    key.kid,
                    voucher.id,
                    voucher._spp_amount_text(voucher.amount),
                    voucher.currency_id.name,
                    voucher.valid_until,
                    code,
                )
                result[voucher.id] = (vt.format_code(code), token)
            resigned = vouchers.filtered(lambda v, k=key: v.key_id != k)
            if resigned:
                with guarded_write(LEDGER_GUARD):
                    resigned.sudo().key_id = key
        return result

    def _spp_amount_text(self, amount):
        return f"{amount:.{self.currency_id.decimal_places}f}"

    def _spp_claims(self):
        return {
            "a": self._spp_amount_text(self.amount),
            "c": self.currency_id.name,
            "e": self.valid_until.isoformat(),
            "i": self.id,
            "h": self.code_hash,
        }

    @api.model
    def _spp_find(self, token_or_code):
        """The voucher a token (signature and claims checked) or a typed code
        names, as superuser; a UserError naming why otherwise."""
        vouchers = self.sudo()
        text = (token_or_code or "").strip()
        try:
            if vt.looks_like_token(text):
                keys = (
                    self.env["spp.voucher.key"]
                    .sudo()
                    .search([("state", "!=", "revoked")])
                )
                claims = vt.decode_token(text, {k.kid: k.public_key for k in keys})
                voucher = vouchers.browse(claims["i"]).exists()
                key = keys.filtered(lambda k: k.kid == claims["k"])
                if not voucher or key.program_id != voucher.program_id:
                    raise vt.TokenError(vt.TAMPERED, "no such voucher in its program")
                vt.check_claims(claims, voucher._spp_claims())
                return voucher
            voucher = vouchers.search([("code_hash", "=", vt.code_hash(text))], limit=1)
        except vt.TokenError as error:
            raise UserError(
                self.env._("This voucher cannot be accepted: %s.", error.reason)
            ) from None
        if not voucher:
            raise UserError(self.env._("No voucher has this code."))
        return voucher

    # Locking ---------------------------------------------------------------

    def _spp_lock(self):
        """Lock these rows for the ledger (see ``lock_rows``); a voucher being
        redeemed elsewhere is refused cleanly: the cashier tries again,
        nothing was taken."""
        if not lock_rows(self):
            raise UserError(
                self.env._(
                    "%s is being redeemed elsewhere right now; nothing was taken. "
                    "Try again.",
                    ", ".join(self.sudo().mapped("display_name")),
                )
            )

    def _spp_move(self, balance=0, held=0):
        """Move the locked voucher's balance and holds by these (signed)
        amounts, its state following: the CHECKs refuse a negative result."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_voucher
                   SET balance = balance + %(balance)s,
                       held_amount = held_amount + %(held)s,
                       state = CASE
                           WHEN state NOT IN ('active', 'partial', 'redeemed')
                                THEN state
                           WHEN balance + %(balance)s = 0 THEN 'redeemed'
                           WHEN balance + %(balance)s = amount THEN 'active'
                           ELSE 'partial' END,
                       write_uid = %(uid)s, write_date = now() at time zone 'utc'
                 WHERE id = %(id)s
                """,
                balance=balance,
                held=held,
                uid=self.env.uid,
                id=self.id,
            )
        )
        self.invalidate_recordset()

    # State changes (applied by an approved spp.voucher.change.request) --------

    def _spp_set_state(self, state):
        with guarded_write(LEDGER_GUARD):
            self.sudo().write({"state": state})

    def _spp_state_after_suspension(self):
        self.ensure_one()
        if self.currency_id.is_zero(self.balance):
            return "redeemed"
        return "active" if self.balance == self.amount else "partial"

    def _spp_release_balance(self, kind):
        """Give the vouchers' balances back to their cycles (a record each),
        their open holds released first."""
        holds = (
            self.env["spp.voucher.redemption"]
            .sudo()
            .search([("voucher_id", "in", self.ids), ("state", "=", "authorized")])
        )
        for hold in holds:
            hold._spp_release()
        releases = self.env["spp.voucher.release"].sudo()
        with guarded_write(LEDGER_GUARD):
            for voucher in self.filtered(lambda v: v.balance > 0):
                releases.create(
                    {"voucher_id": voucher.id, "amount": voucher.balance, "kind": kind}
                )

    @api.model
    def _cron_spp_expire(self):
        """Vouchers past their last valid day expire; their open holds are
        released and what is left goes back to the cycle, set-based."""
        today = fields.Date.context_today(self)
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                WITH expired AS (
                    UPDATE spp_voucher SET state = 'expired', held_amount = 0,
                           write_date = now() at time zone 'utc'
                     WHERE state IN ('active', 'partial') AND valid_until < %(today)s
                 RETURNING id, cycle_id, company_id, currency_id, balance
                ), holds AS (
                    UPDATE spp_voucher_redemption r SET state = 'released',
                           write_date = now() at time zone 'utc'
                      FROM expired WHERE r.voucher_id = expired.id
                       AND r.state = 'authorized'
                )
                INSERT INTO spp_voucher_release
                    (voucher_id, cycle_id, company_id, currency_id, amount, kind,
                     create_uid, create_date, write_uid, write_date)
                SELECT id, cycle_id, company_id, currency_id, balance, 'expired',
                       %(uid)s, now() at time zone 'utc',
                       %(uid)s, now() at time zone 'utc'
                  FROM expired WHERE balance > 0
                """,
                today=today,
                uid=self.env.uid,
            )
        )
        self.env.invalidate_all()
        return True
