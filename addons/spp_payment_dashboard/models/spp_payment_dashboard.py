# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The payments dashboard: every figure is a grouped SQL aggregate (``_read_group``,
so record rules and companies apply) and comes with the domain of the list it
summarises, so a click opens exactly the payments counted."""

from datetime import timedelta

from spp_payment_core import dashboard

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain

from odoo.addons.spp_payment_base.models.spp_fsp_outcomes import IN_FLIGHT

VIEWER = "spp_payment_base.group_spp_viewer"
FILTER_MODELS = {
    "program_id": "spp.program",
    "cycle_id": "spp.payment.cycle",
    "fsp_id": "spp.fsp",
    "area_id": "spp.area",
}
TREND_CYCLES = 8
# The attempt states the status cron chases (spp_fsp_outcomes.IN_FLIGHT).
STALE_ATTEMPT_STATES = IN_FLIGHT


class SppPaymentDashboard(models.AbstractModel):
    _name = "spp.payment.dashboard"
    _description = "Payments Dashboard"

    # Filters ---------------------------------------------------------------

    @api.model
    def _spp_clean_filters(self, filters):
        """The filters as ids, a channel and dates; anything else is refused
        with the filter named (a bad filter must not widen the figures)."""
        filters = dict(filters or {})
        clean = {}
        for key, model in FILTER_MODELS.items():
            value = filters.pop(key, False)
            if value in (False, None, ""):
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise UserError(self.env._("Filter %s must be a record id.", key))
            if not self.env[model].browse(value).exists():
                raise UserError(
                    self.env._("Filter %(key)s: no record %(id)s.", key=key, id=value)
                )
            clean[key] = value
        channel = filters.pop("channel", False)
        if channel:
            channels = dict(self.env["spp.payment"]._fields["channel"].selection)
            if channel not in channels:
                raise UserError(self.env._("Unknown channel %s.", channel))
            clean["channel"] = channel
        for key in ("date_from", "date_to"):
            value = filters.pop(key, False)
            if value:
                try:
                    clean[key] = fields.Date.to_date(value)
                except ValueError as error:
                    raise UserError(
                        self.env._(
                            "Filter %(key)s is not a date: %(value)s",
                            key=key,
                            value=value,
                        )
                    ) from error
        if filters:
            raise UserError(
                self.env._("Unknown dashboard filters: %s", ", ".join(sorted(filters)))
            )
        return clean

    @api.model
    def _spp_payment_domain(self, clean):
        domain = []
        for key in ("program_id", "cycle_id", "fsp_id", "channel"):
            if key in clean:
                domain.append((key, "=", clean[key]))
        if "area_id" in clean:
            domain.append(("partner_id.area_id", "child_of", clean["area_id"]))
        domain += self._spp_date_domain(clean)
        return domain

    @api.model
    def _spp_payroll_domain(self, clean):
        domain = []
        if "program_id" in clean:
            domain.append(("program_id", "=", clean["program_id"]))
        if "cycle_id" in clean:
            domain.append(("cycle_id", "=", clean["cycle_id"]))
        return domain + self._spp_date_domain(clean)

    @api.model
    def _spp_date_domain(self, clean):
        domain = []
        if clean.get("date_from"):
            domain.append(
                (
                    "create_date",
                    ">=",
                    fields.Datetime.to_string(
                        fields.Datetime.to_datetime(clean["date_from"])
                    ),
                )
            )
        if clean.get("date_to"):
            end = fields.Datetime.to_datetime(clean["date_to"]) + timedelta(days=1)
            domain.append(("create_date", "<", fields.Datetime.to_string(end)))
        return domain

    # The figures -------------------------------------------------------------

    @api.model
    @api.readonly
    def get_dashboard_data(self, filters=None):
        """Everything the dashboard shows, in one call. Read-only: with
        ``db_replica_host`` configured, RPC runs it on the replica."""
        if not self.env.user.has_group(VIEWER):
            raise AccessError(self.env._("The payments dashboard is for SPP users."))
        clean = self._spp_clean_filters(filters)
        payment_domain = self._spp_payment_domain(clean)
        groups = self._spp_payment_groups(payment_domain)
        return {
            "filters": {
                k: fields.Date.to_string(v) if k.startswith("date") else v
                for k, v in clean.items()
            },
            "options": self._spp_filter_options(),
            "amounts": self._spp_amount_cards(payment_domain, groups),
            "payrolls": self._spp_payroll_states(self._spp_payroll_domain(clean)),
            "fsp_rates": self._spp_fsp_rates(payment_domain, groups),
            "to_approve": self._spp_awaiting_my_approval(),
            "alerts": self._spp_alert_cards(payment_domain, groups),
            "trend": self._spp_trend(groups),
        }

    @api.model
    def _spp_list(self, model, name, domain):
        return {"res_model": model, "name": name, "domain": domain}

    @api.model
    def _spp_payment_groups(self, domain):
        """One scan of the payments for amounts, FSP rates, trend and doubles:
        grouped by every key those figures need, a million payments fold into
        states x currencies x FSPs x cycles rows (a few hundred at most)."""
        return self.env["spp.payment"]._read_group(
            domain,
            ["state", "currency_id", "fsp_id", "cycle_id", "is_suspected_double"],
            ["__count", "amount:sum"],
        )

    @api.model
    def _spp_amount_cards(self, domain, groups):
        by_currency = {}
        for state, currency, _fsp, _cycle, _double, count, amount in groups:
            by_currency.setdefault(currency, []).append((state, count, amount))
        labels = {
            "issued": self.env._("Issued"),
            "pending": self.env._("Pending"),
            "paid": self.env._("Paid"),
            "failed": self.env._("Failed"),
            "unknown": self.env._("Unknown"),
        }
        cards = []
        for currency, currency_rows in sorted(
            by_currency.items(), key=lambda item: item[0].id
        ):
            totals = dashboard.fold_buckets(currency_rows)
            for bucket, label in labels.items():
                amount = currency.round(float(totals[bucket]["amount"]))
                cards.append(
                    {
                        "key": bucket,
                        "label": label,
                        "count": totals[bucket]["count"],
                        "amount": amount,
                        "amount_display": currency.format(amount),
                        "currency": currency.name,
                        "action": self._spp_list(
                            "spp.payment",
                            self.env._("%s payments", label),
                            domain
                            + [
                                ("currency_id", "=", currency.id),
                                ("state", "in", dashboard.states_of(bucket)),
                            ],
                        ),
                    }
                )
        return cards

    @api.model
    def _spp_payroll_states(self, domain):
        Payroll = self.env["spp.payroll"]
        # The lifecycle status when the suite has one, else the approval state.
        field = "status" if "status" in Payroll._fields else "approval_state"
        labels = dict(Payroll._fields[field]._description_selection(self.env))
        counts = dict(Payroll._read_group(domain, [field], ["__count"]))
        return [
            {
                "key": key,
                "label": label,
                "count": counts.get(key, 0),
                "action": self._spp_list(
                    "spp.payroll",
                    self.env._("Payrolls: %s", label),
                    domain + [(field, "=", key)],
                ),
            }
            for key, label in labels.items()
        ]

    @api.model
    def _spp_fsp_rates(self, domain, groups):
        result = []
        for fsp, paid, failed, unknown, pending, rate in dashboard.rates_by_key(
            (fsp, state, count)
            for state, _currency, fsp, _cycle, _double, count, _amount in groups
            if fsp
        ):
            result.append(
                {
                    "fsp_id": fsp.id,
                    "name": fsp.display_name,
                    "paid": paid,
                    "failed": failed,
                    "unknown": unknown,
                    "pending": pending,
                    "rate": float(rate) if rate is not None else None,
                    "action": self._spp_list(
                        "spp.payment",
                        self.env._("Payments by %s", fsp.display_name),
                        domain + [("fsp_id", "=", fsp.id)],
                    ),
                }
            )
        return result

    @api.model
    def _spp_alert_cards(self, domain, groups):
        Payment = self.env["spp.payment"]
        cards = []
        double = domain + [("is_suspected_double", "=", True)]
        cards.append(
            {
                "key": "suspected_double",
                "label": self.env._("Suspected double payments"),
                "count": sum(row[5] for row in groups if row[4]),
                "action": self._spp_list(
                    "spp.payment", self.env._("Suspected double payments"), double
                ),
            }
        )
        stale = domain + self._spp_stale_domain()
        cards.append(
            {
                "key": "stale",
                "label": self.env._("Stale payments"),
                "count": Payment.search_count(stale),
                "action": self._spp_list(
                    "spp.payment", self.env._("Stale payments"), stale
                ),
            }
        )
        Reconciliation = self.env["spp.reconciliation"]
        to_decide = [("approval_state", "=", "submitted")]
        cards.append(
            {
                "key": "reconciliations",
                "label": self.env._("Reconciliations to decide"),
                "count": Reconciliation.search_count(to_decide),
                "action": self._spp_list(
                    "spp.reconciliation",
                    self.env._("Reconciliations to decide"),
                    to_decide,
                ),
            }
        )
        return cards

    @api.model
    def _spp_stale_domain(self):
        """In flight longer than its FSP's status-query delay, as the status
        cron finds them (``spp.fsp._spp_stale_payments``): through the current
        attempt, whose state is indexed, never a scan of the payments."""
        now = fields.Datetime.now()
        parts = []
        # FSPs are a handful per deployment; the cap only bounds a bad setup.
        for fsp in self.env["spp.fsp"].search([], limit=1000):
            limit = now - timedelta(minutes=fsp.status_query_after_minutes or 0)
            parts.append(
                [
                    ("fsp_id", "=", fsp.id),
                    ("current_attempt_id.state", "in", sorted(STALE_ATTEMPT_STATES)),
                    (
                        "current_attempt_id.write_date",
                        "<=",
                        fields.Datetime.to_string(limit),
                    ),
                ]
            )
        return list(Domain.OR(parts)) if parts else [("id", "=", 0)]

    @api.model
    def _spp_trend(self, groups):
        """Issued, paid and failed amounts of the last cycles, oldest first."""
        by_cycle = {}
        for state, _currency, _fsp, cycle, _double, count, amount in groups:
            if cycle:
                by_cycle.setdefault(cycle, []).append((state, count, amount))
        cycles = sorted(by_cycle, key=lambda c: (c.date_start, c.id))[-TREND_CYCLES:]
        trend = []
        for cycle in cycles:
            totals = dashboard.fold_buckets(by_cycle[cycle])
            trend.append(
                {
                    "cycle_id": cycle.id,
                    "name": cycle.display_name,
                    "issued": float(totals["issued"]["amount"]),
                    "paid": float(totals["paid"]["amount"]),
                    "failed": float(totals["failed"]["amount"]),
                    "currency": cycle.currency_id.name,
                }
            )
        return trend

    # Approvals -----------------------------------------------------------------

    @api.model
    def _spp_awaiting_my_approval(self):
        """Per document type, the submitted documents the current user may
        approve (the mixin's ``spp_to_approve``, one query per type); each row
        opens the same "To approve" list the menus filter on."""
        result = []
        for model_name in sorted(
            self.env.registry["spp.approval.mixin"]._inherit_children
        ):
            Model = self.env[model_name]
            if Model._abstract or Model._transient or not Model.has_access("read"):
                continue
            domain = [("spp_to_approve", "=", True)]
            count = Model.search_count(domain)
            if not count:
                continue
            result.append(
                {
                    "model": model_name,
                    "label": Model._description,
                    "count": count,
                    "action": self._spp_list(
                        model_name,
                        self.env._("%s to approve", Model._description),
                        domain,
                    ),
                }
            )
        return result

    @api.model
    def _spp_filter_options(self):
        def options(model, domain=None):
            return [
                {"id": r.id, "name": r.display_name}
                for r in self.env[model].search(domain or [], limit=200)
            ]

        return {
            "program_id": options("spp.program"),
            "cycle_id": options("spp.payment.cycle"),
            "fsp_id": options("spp.fsp"),
            "area_id": options("spp.area"),
            "channel": [
                {"id": key, "name": label}
                for key, label in self.env["spp.payment"]
                ._fields["channel"]
                ._description_selection(self.env)
            ],
        }
