# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re
import secrets
from datetime import timedelta

from markupsafe import Markup
from spp_payment_core import callbacks

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.models import MAGIC_COLUMNS

ADMIN_GROUP = "spp_payment_base.group_spp_admin"
# Credentials of the base and of the connectors: never tracked (their values
# would land in the chatter), their rotation is. A field whose name says it is
# a secret counts as one even when its module forgot to list it.
SECRET_FIELDS = frozenset(
    {
        "api_password",
        "api_key",
        "api_secret",
        "callback_secret",
        "mpesa_initiator_password",
        "g2p_signing_key",
    }
)
# What the callback entry point keeps of an FSP in each worker process's cache
# (see _spp_callback_fsp): a change of any of these clears it, in every worker.
CALLBACK_CACHE_FIELDS = frozenset(
    {
        "active",
        "state",
        "provider",
        "callback_public_id",
        "callback_secret",
        "callback_allowed_ips",
    }
)
SECRET_NAME = re.compile(r"password|secret|private|signing_key|(^|_)key$")
# Caches the connectors renew by themselves, and the balance the FSP reports
# (posted in the chatter by _spp_record_balance): neither configuration nor a
# rotation by a person.
CACHE_FIELDS = frozenset(
    {
        "api_token",
        "api_token_expiry",
        "balance_state",
        "balance_amount",
        "balance_date",
        "balance_source",
        "balance_requested_date",
    }
)


class SppFsp(models.Model):
    """A financial service provider account, and the provider that talks to it.

    Connector modules add their ``provider`` with ``selection_add`` and override the
    ``_spp_*`` hooks, calling ``super()`` for providers that are not theirs, the way
    Odoo's ``payment`` module lets ``payment_stripe`` extend ``payment.provider``.
    """

    _name = "spp.fsp"
    _inherit = ["mail.thread"]
    _description = "Financial Service Provider"
    _order = "sequence, name"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    provider = fields.Selection(
        [("manual", "Manual processing")],
        required=True,
        default="manual",
        tracking=True,
        help="How payments reach this FSP. Manual: staff process them outside the "
        "system and record the outcome.",
    )
    state = fields.Selection(
        [("disabled", "Disabled"), ("test", "Test Mode"), ("enabled", "Enabled")],
        required=True,
        default="disabled",
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    # Limits
    batch_size = fields.Integer(
        default=500, help="Payments per request or per job chunk."
    )
    rate_limit_tps = fields.Float(
        string="Rate Limit (per second)", default=10.0, help="0 means unlimited."
    )
    max_retries = fields.Integer(
        default=3, help="New attempts allowed after a failed or rejected one."
    )
    retry_backoff_seconds = fields.Integer(default=60)
    status_query_after_minutes = fields.Integer(
        default=30,
        help="Query the status of payments sent, accepted or unknown for longer.",
    )
    # Connection and credentials: Payments Administrators only.
    api_url = fields.Char(string="API URL", groups=ADMIN_GROUP)
    api_username = fields.Char(groups=ADMIN_GROUP)
    api_password = fields.Char(groups=ADMIN_GROUP)
    api_key = fields.Char(string="API Key", groups=ADMIN_GROUP)
    api_secret = fields.Char(string="API Secret", groups=ADMIN_GROUP)
    callback_secret = fields.Char(
        groups=ADMIN_GROUP,
        copy=False,
        default=lambda self: _new_callback_secret(),
        help="Key of the HMAC-SHA256 the FSP puts in the X-SPP-Signature header "
        "of its callbacks (never part of a URL). Give it to the FSP once, over a "
        "secure channel; rotate it when it may have leaked.",
    )
    callback_public_id = fields.Char(
        string="Callback ID",
        copy=False,
        readonly=True,
        required=True,
        default=lambda self: _new_callback_public_id(),
        help="Names this FSP in its callback URL. Not a secret: callbacks are "
        "authenticated by their signature, never by their URL.",
    )
    callback_allowed_ips = fields.Char(
        string="Callback Source Addresses",
        groups=ADMIN_GROUP,
        help="When set, callbacks are accepted only from these addresses or "
        "networks (comma-separated, e.g. the callback ranges the FSP publishes). "
        "Behind a reverse proxy, run Odoo with proxy_mode so the client address "
        "is the FSP's.",
    )
    secrets_rotated_date = fields.Datetime(
        string="Credentials Changed",
        readonly=True,
        copy=False,
        tracking=True,
        help="Last time a password, key or secret of this FSP was set.",
    )
    payment_count = fields.Integer(compute="_compute_payment_count")
    active = fields.Boolean(default=True)
    # The FSP account's balance as last reported by the FSP itself (a balance
    # API's answer, a bank statement's closing balance): the execute wizard
    # compares it with what a payroll would pay. Never guessed: without a
    # report it is "unknown", never "sufficient".
    balance_state = fields.Selection(
        [("unknown", "Unknown"), ("pending", "Pending"), ("known", "Known")],
        default="unknown",
        required=True,
        readonly=True,
        copy=False,
    )
    balance_amount = fields.Monetary(
        currency_field="currency_id", readonly=True, copy=False
    )
    balance_date = fields.Datetime(
        string="Balance As Of",
        readonly=True,
        copy=False,
        help="When the FSP reported the balance.",
    )
    balance_source = fields.Char(
        readonly=True, copy=False, help="What reported it: an API answer, a statement."
    )
    balance_requested_date = fields.Datetime(
        string="Balance Requested", readonly=True, copy=False
    )
    balance_max_age_hours = fields.Integer(
        string="Balance Valid For (hours)",
        default=24,
        help="A reported balance older than this counts as unknown: execution "
        "then needs a Finance Manager's confirmation of the funding.",
    )

    _batch_size_positive = models.Constraint(
        "CHECK(batch_size > 0)", "The batch size must be positive."
    )
    _balance_max_age_positive = models.Constraint(
        "CHECK(balance_max_age_hours > 0)", "A balance must stay valid for some hours."
    )
    _max_retries_positive = models.Constraint(
        "CHECK(max_retries >= 0)", "The number of retries cannot be negative."
    )
    _callback_public_id_unique = models.Constraint(
        "UNIQUE(callback_public_id)", "Two FSPs cannot share a callback ID."
    )

    @api.constrains("callback_allowed_ips")
    def _check_callback_allowed_ips(self):
        for fsp in self.sudo():
            try:
                callbacks.parse_networks(fsp.callback_allowed_ips)
            except ValueError as error:
                raise ValidationError(
                    self.env._("Callback source addresses: %s", error)
                ) from error

    def action_rotate_callback_secret(self):
        """A new callback secret (the old one stops working at once): for a
        secret that may have leaked. Payments Administrators only."""
        if not self.env.user.has_group(ADMIN_GROUP):
            raise UserError(
                self.env._("Only Payments Administrators rotate callback secrets.")
            )
        for fsp in self.sudo():
            fsp.callback_secret = _new_callback_secret()
            fsp.message_post(
                body=self.env._(
                    "Callback secret rotated: give the FSP the new one; callbacks "
                    "signed with the old one are refused."
                )
            )
        return True

    # Audit ---------------------------------------------------------------

    @api.model
    def _spp_is_secret(self, name):
        return name not in CACHE_FIELDS and (
            name in SECRET_FIELDS or bool(SECRET_NAME.search(name))
        )

    def _track_get_fields(self):
        """Every stored setting of the FSP and its connector (URLs, accounts,
        codes, limits, columns) is tracked with its values before and after;
        secrets and caches are not (see secrets_rotated_date)."""
        tracked = {
            name
            for name, field in self._fields.items()
            if field.store
            and name not in MAGIC_COLUMNS
            and name not in CACHE_FIELDS
            and not name.startswith(("message_", "activity_"))
            and field.type not in ("one2many", "many2many", "binary")
            and not self._spp_is_secret(name)
        }
        return (super()._track_get_fields() or set()) | set(
            self.fields_get(tracked, attributes=())
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if any(self._spp_is_secret(name) and vals[name] for name in vals):
                vals["secrets_rotated_date"] = fields.Datetime.now()
        records = super().create(vals_list)
        # An id looked up before its FSP existed is cached as unknown.
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        rotated = sorted(name for name in vals if self._spp_is_secret(name))
        if rotated:
            vals = dict(vals, secrets_rotated_date=fields.Datetime.now())
        result = super().write(vals)
        if CALLBACK_CACHE_FIELDS.intersection(vals):
            self.env.registry.clear_cache()
        if rotated:
            labels = ", ".join(self._fields[n].string for n in rotated)
            for fsp in self:
                # The names of the credentials, never their values.
                fsp.message_post(
                    body=Markup("%s") % self.env._("Credentials changed: %s.", labels)
                )
        return result

    def _compute_payment_count(self):
        counts = dict(
            self.env["spp.payment"]._read_group(
                [("fsp_id", "in", self.ids)], ["fsp_id"], ["__count"]
            )
        )
        for fsp in self:
            fsp.payment_count = counts.get(fsp, 0)

    def _spp_check_usable(self):
        for fsp in self:
            if fsp.state == "disabled":
                raise UserError(
                    self.env._("FSP %s is disabled: enable it first.", fsp.name)
                )

    # Provider hooks ------------------------------------------------------

    def _spp_dispatch_chunk_size(self):
        """Payments per dispatch job; 0 sends all of a run's payments at once."""
        self.ensure_one()
        return max(self.batch_size, 1)

    def _spp_prepare_send(self, payments):
        """Called in the transaction that queues ``payments``, before it commits:
        record what the FSP call needs found by others (callbacks, a retried
        job) once committed. No network here: the payments are locked."""
        self.ensure_one()

    def _spp_send_payments(self, payments):
        """Send queued ``payments`` (each with its current attempt) to this FSP.

        Called in a transaction that has locked none of them: read what the
        requests need, call the FSP, then record the answers through the
        guarded transitions (the only statements that lock the payments)."""
        self.ensure_one()
        if self.provider != "manual":
            raise UserError(
                self.env._("Provider %s cannot send payments.", self.provider)
            )
        self._spp_check_usable()
        payments._set_sent(reason=self.env._("Sent for manual processing."))

    def _spp_fetch_status(self, payments):
        """Ask the FSP for the status of ``payments``; return the number updated."""
        self.ensure_one()
        if self.provider != "manual":
            raise UserError(
                self.env._("Provider %s cannot query statuses.", self.provider)
            )
        # Manual outcomes arrive by reconciliation, never by query.
        return 0

    def _spp_handle_callback(self, data):
        """Process a notification pushed by the FSP."""
        self.ensure_one()
        raise UserError(
            self.env._("Provider %s does not accept callbacks.", self.provider)
        )

    def _spp_get_balance(self):
        """Return the available balance of the FSP account, or ``None`` if unknown
        (none reported, a request pending, or a figure older than its max age)."""
        self.ensure_one()
        return self._spp_balance_status()["amount"]

    def _spp_request_balance(self):
        """Ask the FSP for its balance. Providers with a balance API override
        this: send the request (never inside a transaction holding payment
        locks), then ``_spp_mark_balance_pending()`` until the answer arrives
        through ``_spp_record_balance``. Returns True when a request was made;
        the default provider has no balance API."""
        self.ensure_one()
        return False

    def _spp_balance_status(self, now=None):
        """The balance as the execution checks see it: a dict of ``state``
        (known, pending or unknown), ``amount`` (only when known), ``date``,
        ``source``, ``requested`` and ``reason``. A known balance older than
        ``balance_max_age_hours`` counts as unknown ("stale")."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        fsp = self.sudo()
        status = {
            "state": fsp.balance_state,
            "amount": None,
            "date": fsp.balance_date,
            "source": fsp.balance_source or False,
            "requested": fsp.balance_requested_date,
            "reason": False,
        }
        if fsp.balance_state == "known":
            age = timedelta(hours=fsp.balance_max_age_hours or 24)
            if not fsp.balance_date or fsp.balance_date < now - age:
                status.update(
                    state="unknown",
                    reason=self.env._(
                        "the last balance (%(date)s) is older than %(hours)s hours",
                        date=fsp.balance_date,
                        hours=fsp.balance_max_age_hours,
                    ),
                )
            else:
                status["amount"] = fsp.balance_amount
        elif fsp.balance_state == "pending":
            status["reason"] = self.env._(
                "requested at %s, no answer yet", fsp.balance_requested_date
            )
        else:
            status["reason"] = self.env._("no balance reported by the FSP")
        return status

    def _spp_mark_balance_pending(self):
        self.sudo().write(
            {
                "balance_state": "pending",
                "balance_requested_date": fields.Datetime.now(),
            }
        )

    def _spp_record_balance(self, amount, date, source):
        """Record the balance the FSP reported (``amount`` in the FSP's
        currency, as of ``date``, from ``source``) and say so in the chatter.
        An older report than the one held is ignored: statements and API
        answers may arrive out of order."""
        self.ensure_one()
        # Parsers report exact Decimals; the field stores the rounded figure.
        amount = self.currency_id.round(float(amount))
        if (
            self.balance_state == "known"
            and self.balance_date
            and date < self.balance_date
        ):
            return False
        self.sudo().write(
            {
                "balance_state": "known",
                "balance_amount": amount,
                "balance_date": date,
                "balance_source": source,
            }
        )
        self.message_post(
            body=self.env._(
                "Balance %(amount)s %(currency)s as of %(date)s (%(origin)s).",
                amount=amount,
                currency=self.currency_id.name,
                date=date,
                origin=source,
            )
        )
        return True

    def _spp_forget_balance(self, reason):
        """The balance request failed or timed out: the balance is unknown
        again (the last figure, if any, stays visible but is not used), and
        the chatter says why."""
        self.ensure_one()
        self.sudo().write({"balance_state": "unknown"})
        self.message_post(
            body=self.env._("Balance request without a figure: %s", reason)
        )

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    @api.model
    def _spp_get_by_callback_public_id(self, public_id):
        """The FSP a callback URL names (archived ones too: they refuse), or an
        empty recordset for an id that is no FSP's."""
        found = self._spp_callback_fsp(public_id)
        return self.sudo().browse(found["id"] if found else ())

    @api.model
    @tools.ormcache("public_id")
    def _spp_callback_fsp(self, public_id):
        """What the callback entry point needs of the FSP that ``public_id``
        names, or None: kept per worker process (no query per callback), and
        cleared in every worker when one of CALLBACK_CACHE_FIELDS changes
        (Odoo's registry signalling). The secret itself stays out of it."""
        if not callbacks.is_public_id(public_id):
            return None
        self.flush_model(
            [
                "callback_public_id",
                "provider",
                "state",
                "active",
                "callback_allowed_ips",
            ]
        )
        self.env.cr.execute(
            "SELECT id, provider, state, active, callback_allowed_ips "
            "FROM spp_fsp WHERE callback_public_id = %s",
            [public_id],
        )
        row = self.env.cr.fetchone()
        if not row:
            return None
        return tools.frozendict(
            id=row[0],
            provider=row[1],
            usable=row[2] != "disabled" and bool(row[3]),
            allowed_ips=row[4] or "",
        )


def _new_callback_secret():
    return secrets.token_urlsafe(32)


def _new_callback_public_id():
    return secrets.token_hex(8)
