# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The redemption ledger: the only way a voucher's balance changes.

Every method locks the voucher row first (see ``spp.voucher._spp_lock``), is
idempotent on the client's transaction UUID, checks the voucher, the merchant
and the amount, and changes nothing when it refuses."""

import datetime
import uuid
from decimal import Decimal, InvalidOperation

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import guarded_write

from .spp_voucher import LEDGER_GUARD, SPENDABLE

FINANCE_OFFICER = "spp_payment_base.group_spp_finance_officer"
FINANCE_MANAGER = "spp_payment_base.group_spp_finance_manager"
CONFLICT_SUFFIX = "#conflict"


class SppVoucher(models.Model):
    _inherit = "spp.voucher"  # pylint: disable=consider-merging-classes-inherited

    # Entry points ------------------------------------------------------------

    @api.model
    def _spp_redeem(
        self,
        token_or_code,
        amount,
        txn_uuid,
        merchant,
        channel="api",
        device=None,
        cashier=None,
        offline=False,
    ):
        """Redeem ``amount`` now: a captured redemption, or a UserError."""
        first = self._spp_first_of(txn_uuid)
        if first:
            return first
        voucher, amount = self._spp_prepare(token_or_code, amount, merchant)
        voucher._spp_check_spendable(amount, merchant)
        redemption = voucher._spp_insert_redemption(
            amount, txn_uuid, merchant, channel, device, cashier, offline, "captured"
        )
        voucher._spp_move(balance=-amount)
        return redemption

    @api.model
    def _spp_hold(
        self,
        token_or_code,
        amount,
        txn_uuid,
        merchant,
        channel="pos",
        device=None,
        cashier=None,
    ):
        """Reserve ``amount`` (a POS authorisation): an ``authorized``
        redemption, captured or released later."""
        first = self._spp_first_of(txn_uuid)
        if first:
            return first
        voucher, amount = self._spp_prepare(token_or_code, amount, merchant)
        voucher._spp_check_spendable(amount, merchant)
        hold = voucher._spp_insert_redemption(
            amount, txn_uuid, merchant, channel, device, cashier, False, "authorized"
        )
        voucher._spp_move(held=amount)
        return hold

    @api.model
    def _spp_record_offline(
        self,
        token,
        amount,
        txn_uuid,
        merchant,
        channel="pos",
        device=None,
        cashier=None,
        date=None,
    ):
        """A redemption a till accepted offline, synced now. Never refused for a
        spent voucher: first write wins, what the balance covers is captured,
        the rest is a ``conflict`` redemption with an alert and a receivable.
        Returns the redemptions recorded (one or two)."""
        redemptions = self.env["spp.voucher.redemption"].sudo()
        first = redemptions.search(
            [("txn_uuid", "in", [txn_uuid, txn_uuid + CONFLICT_SUFFIX])], order="id"
        )
        if first:
            return first
        voucher, amount = self._spp_prepare(token, amount, merchant, token_only=True)
        when = fields.Date.to_date(date) if date else fields.Date.context_today(self)
        usable = voucher._spp_refusal(when) is None and not merchant._spp_refusal(
            voucher, amount, when
        )
        covered = (
            min(amount, Decimal(str(voucher.available_amount)))
            if usable
            else Decimal(0)
        )
        if covered > 0:
            redemptions |= voucher._spp_insert_redemption(
                covered, txn_uuid, merchant, channel, device, cashier, True, "captured"
            )
            voucher._spp_move(balance=-covered)
        rest = amount - covered
        if rest > 0:
            uuid = txn_uuid + CONFLICT_SUFFIX if covered > 0 else txn_uuid
            conflict = voucher._spp_insert_redemption(
                rest, uuid, merchant, channel, device, cashier, True, "conflict"
            )
            conflict._spp_flag_conflict()
            redemptions |= conflict
        return redemptions

    # Steps --------------------------------------------------------------------

    @api.model
    def _spp_first_of(self, txn_uuid):
        """The redemption already recorded for this transaction, if any."""
        if not txn_uuid or not str(txn_uuid).strip():
            raise UserError(self.env._("A redemption needs its transaction UUID."))
        return (
            self.env["spp.voucher.redemption"]
            .sudo()
            .search([("txn_uuid", "=", txn_uuid)], limit=1)
        )

    @api.model
    def _spp_prepare(self, token_or_code, amount, merchant, token_only=False):
        """(locked voucher, exact amount), the caller entitled to act for
        ``merchant``."""
        if len(merchant) != 1:
            raise UserError(self.env._("A redemption names its merchant."))
        merchant.with_env(self.env)._spp_check_operator()
        merchant = merchant.sudo()
        if token_only and not self.env["spp.voucher"]._spp_is_token(token_or_code):
            raise UserError(self.env._("An offline redemption needs the signed QR."))
        if isinstance(token_or_code, models.BaseModel):
            # Found by the caller (ID redemption checked the beneficiary's ID).
            voucher = token_or_code.sudo().ensure_one()
        else:
            voucher = self._spp_find(token_or_code)
        amount = voucher._spp_exact_amount(amount)
        voucher._spp_lock()
        merchant._spp_lock_day()
        return voucher, amount

    @api.model
    def _spp_is_token(self, text):
        from spp_payment_core import voucher_token as vt

        return vt.looks_like_token((text or "").strip())

    def _spp_exact_amount(self, amount):
        try:
            value = Decimal(str(amount))
        except (InvalidOperation, ValueError):
            raise UserError(self.env._("%s is not an amount.", amount)) from None
        rounded = Decimal(str(self.currency_id.round(float(value))))
        if value != rounded or value <= 0:
            raise UserError(
                self.env._(
                    "Redeem a positive amount in %(currency)s with at most "
                    "%(digits)s decimals, not %(amount)s.",
                    currency=self.currency_id.name,
                    digits=self.currency_id.decimal_places,
                    amount=amount,
                )
            )
        return value

    def _spp_refusal(self, when):
        """Why the voucher cannot be spent on ``when`` (None: it can)."""
        labels = dict(self._fields["state"]._description_selection(self.env))
        if self.state not in SPENDABLE:
            return self.env._(
                "Voucher %(voucher)s is %(state)s.",
                voucher=self.name,
                state=labels[self.state],
            )
        if when < self.valid_from:
            return self.env._(
                "Voucher %(voucher)s is valid from %(date)s.",
                voucher=self.name,
                date=self.valid_from,
            )
        if when > self.valid_until:
            return self.env._(
                "Voucher %(voucher)s expired on %(date)s.",
                voucher=self.name,
                date=self.valid_until,
            )
        return None

    def _spp_check_spendable(self, amount, merchant):
        today = fields.Date.context_today(self)
        refusal = self._spp_refusal(today) or merchant._spp_refusal(self, amount, today)
        if refusal:
            raise UserError(refusal)
        if amount > self.available_amount:
            raise UserError(
                self.env._(
                    "Voucher %(voucher)s has %(available)s %(currency)s available; "
                    "%(amount)s is refused, nothing was taken.",
                    voucher=self.name,
                    available=self._spp_amount_text(self.available_amount),
                    currency=self.currency_id.name,
                    amount=self._spp_amount_text(amount),
                )
            )

    def _spp_insert_redemption(
        self, amount, txn_uuid, merchant, channel, device, cashier, offline, state
    ):
        self.ensure_one()
        with guarded_write(LEDGER_GUARD):
            return (
                self.env["spp.voucher.redemption"]
                .sudo()
                .create(
                    {
                        "voucher_id": self.id,
                        "merchant_id": merchant.id,
                        "amount": amount,
                        "txn_uuid": txn_uuid,
                        "channel": channel,
                        "device": device or False,
                        "cashier_id": (cashier or self.env.user).id,
                        "offline": offline,
                        "state": state,
                    }
                )
            )


class SppVoucherRedemption(models.Model):
    _inherit = "spp.voucher.redemption"

    def _spp_capture(self):
        """A hold becomes a redemption: the balance moves."""
        return self._spp_settle_hold(
            "captured", {"date": fields.Datetime.now()}, balance=True
        )

    def _spp_release(self):
        """A hold is voided: its amount is available again."""
        return self._spp_settle_hold("released", {})

    def _spp_settle_hold(self, target, vals, balance=False):
        """End a hold in ``target`` (again: nothing happens), under the voucher's
        lock: the held amount is freed and, when ``balance``, spent."""
        self.ensure_one()
        hold = self.sudo()
        hold.voucher_id._spp_lock()
        hold.invalidate_recordset()
        if hold.state == target:
            return self
        hold._spp_expect("authorized")
        hold._spp_write({"state": target, **vals})
        moves = {"held": -hold.amount}
        if balance:
            moves["balance"] = -hold.amount
        hold.voucher_id._spp_move(**moves)
        return self

    def _spp_reverse(self, reason, amount=None, key=None):
        """Give ``amount`` (default: all not reversed yet) of a captured
        redemption back to its voucher, with a reason, under the voucher's lock;
        partial reversals add up until the whole redemption is reversed. Keyed
        on ``key`` (a POS refund line's UUID): a repeated key returns its first
        reversal and moves nothing. By a cashier of the merchant on the day of
        the redemption, or by a Finance Manager; refused once the redemption
        is in a settlement being paid (see ``_spp_check_reversible``).
        Returns the ``spp.voucher.reversal``."""
        self.ensure_one()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("A reversal needs a reason."))
        # Checked as the caller: under sudo() every user would pass.
        self._spp_check_can_reverse()
        key = (key or "").strip() or str(uuid.uuid4())
        Reversal = self.env["spp.voucher.reversal"].sudo()
        first = Reversal.search([("key", "=", key)], limit=1)
        if first:
            if first.redemption_id != self.sudo():
                raise UserError(
                    self.env._("Reversal %s is of another redemption.", key)
                )
            return first
        redemption = self.sudo()
        voucher = redemption.voucher_id
        # A concurrent reversal of the same key (two syncs of one refund) moved
        # the voucher: this lock refuses the second, the unique key backs it.
        voucher._spp_lock()
        redemption.invalidate_recordset()
        redemption._spp_expect("captured")
        redemption._spp_check_reversible()
        if voucher.state not in (*SPENDABLE, "redeemed"):
            raise UserError(
                self.env._(
                    "Voucher %s is closed and its balance released: re-issue it "
                    "instead of reversing.",
                    voucher.name,
                )
            )
        left = Decimal(str(redemption.amount)) - Decimal(
            str(redemption.reversed_amount)
        )
        amount = left if amount is None else voucher._spp_exact_amount(amount)
        if amount > left:
            raise UserError(
                self.env._(
                    "Redemption %(ref)s has %(left)s left to reverse; %(amount)s is "
                    "refused, nothing was reversed.",
                    ref=redemption.txn_uuid,
                    left=voucher._spp_amount_text(left),
                    amount=voucher._spp_amount_text(amount),
                )
            )
        now = fields.Datetime.now()
        vals = {
            "reversed_amount": float(Decimal(str(redemption.reversed_amount)) + amount),
            "reversal_reason": reason,
            "reversed_by_id": self.env.user.id,
            "reversed_date": now,
        }
        if amount == left:
            vals["state"] = "reversed"
        redemption._spp_write(vals)
        with guarded_write(LEDGER_GUARD):
            reversal = Reversal.create(
                {
                    "redemption_id": redemption.id,
                    "amount": float(amount),
                    "key": key,
                    "reason": reason,
                    "user_id": self.env.user.id,
                    "date": now,
                }
            )
        voucher._spp_move(balance=amount)
        return reversal

    def _spp_check_reversible(self):
        """Hook, under the voucher's lock: raise when something beyond the
        ledger forbids reversing (spp_voucher_settlement: a settlement being
        paid)."""

    @api.model
    def _cron_spp_release_stale_holds(self):
        """Holds older than the configured minutes (default 30) are released."""
        minutes = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("spp_voucher.hold_minutes", "30")
        )
        limit = fields.Datetime.now() - datetime.timedelta(minutes=minutes)
        stale = self.sudo().search(
            [("state", "=", "authorized"), ("date", "<", limit)], order="id"
        )
        released = self.browse()
        for hold in stale:
            try:
                with self.env.cr.savepoint():
                    hold._spp_release()
                released |= hold
            except UserError:
                continue  # being redeemed right now: the next run takes it
        return released

    # Helpers -------------------------------------------------------------------

    def _spp_expect(self, state):
        if self.state != state:
            labels = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "Redemption %(ref)s is %(state)s, not %(expected)s.",
                    ref=self.txn_uuid,
                    state=labels[self.state],
                    expected=labels[state],
                )
            )

    def _spp_write(self, vals):
        with guarded_write(LEDGER_GUARD):
            self.write(vals)

    def _spp_check_can_reverse(self):
        user = self.env.user
        if self.env.su and not self.env.context.get("spp_voucher_user_check"):
            return
        if user.has_group(FINANCE_MANAGER):
            return
        # The caller decides; the record is read whoever they are (a cashier
        # has no read access to the ledger).
        record = self.sudo()
        same_day = fields.Date.context_today(self) == fields.Date.context_today(
            self, record.date
        )
        if user in record.merchant_id.user_ids and same_day:
            return
        raise AccessError(
            self.env._(
                "Only a cashier of the merchant on the day of the redemption, "
                "or a Finance Manager, reverses it."
            )
        )

    def _spp_flag_conflict(self):
        """An offline double spend: an activity for each Finance Manager on the
        conflict, and a receivable (spp.payment.overpayment) for the amount."""
        self.ensure_one()
        self.env.flush_all()
        overpayments = self.env["spp.payment.overpayment"]
        with guarded_write("overpayment"):
            overpayments._spp_record_sql(
                SQL(
                    "SELECT %s, NULL, 'voucher_double', 'voucher', %s, %s, NULL, "
                    "%s, %s, %s, %s",
                    self.voucher_id.payment_id.id,
                    self.amount,
                    self.voucher_id.payment_id.state,
                    self.txn_uuid,
                    self._name,
                    self.id,
                    self.env._(
                        "Voucher %(voucher)s spent offline at %(merchant)s beyond "
                        "its balance.",
                        voucher=self.voucher_id.name,
                        merchant=self.merchant_id.name,
                    ),
                )
            )
        self._spp_alert_managers(
            self.env._("Voucher double spend (offline): check"),
            self.env._(
                "%(amount)s %(currency)s accepted offline for voucher "
                "%(voucher)s beyond its balance.",
                amount=self.amount,
                currency=self.currency_id.name,
                voucher=self.voucher_id.name,
            ),
        )

    def _spp_flag_limit(self, reason):
        """An offline redemption synced beyond a till's or cashier's limit: it
        stands (the goods are gone), the row says why it is flagged and each
        Finance Manager gets an activity."""
        self.ensure_one()
        self._spp_write({"limit_alert": reason})
        self._spp_alert_managers(
            self.env._("Voucher limit exceeded (offline): check"), reason
        )

    def _spp_alert_managers(self, summary, note):
        """A to-do on this redemption for each Finance Manager of its company."""
        managers = (
            self.env.ref(FINANCE_MANAGER)
            .sudo()
            .all_user_ids.filtered(lambda u: self.company_id in u.company_ids)
        )
        for manager in managers:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=note,
                user_id=manager.id,
            )
