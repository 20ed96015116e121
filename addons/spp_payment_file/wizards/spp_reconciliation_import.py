# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Import of an FSP's reply: a CSV/XLSX file, an ISO 20022 pain.002 status report
or a camt.054 notification. The whole file is checked first and every bad row is
explained; only a clean file becomes a reconciliation batch, which changes no
payment until a Finance Manager other than the uploader accepts it."""

import base64
import hashlib
from decimal import Decimal

from markupsafe import Markup, escape
from spp_payment_core import iso20022, reconcile, tables
from spp_payment_core.phone import normalize_msisdn

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import reopen_wizard

SHOWN_ERRORS = 500
# From this many references on, the payroll is read whole (see _spp_lookup_references).
BULK_LOOKUP = 10_000
ISO_OUTCOMES = {
    "paid": "paid",
    "failed": "failed",
    "rejected": "rejected",
    "reversed": "reversed",
    "accepted": "processing",
    "processing": "processing",
}


class SppReconciliationImport(models.TransientModel):
    _name = "spp.reconciliation.import"
    _description = "Import FSP Reply"

    payroll_id = fields.Many2one(
        "spp.payroll", required=True, domain=[("approval_state", "=", "approved")]
    )
    fsp_id = fields.Many2one(
        "spp.fsp",
        string="FSP",
        required=True,
        domain=[("provider", "=", "file")],
    )
    data = fields.Binary(string="File", attachment=False)
    file_name = fields.Char()
    kind = fields.Selection(
        [
            ("table", "CSV / XLSX reply"),
            ("pain002", "ISO 20022 pain.002 status report"),
            ("camt054", "ISO 20022 camt.054 notification"),
        ],
        readonly=True,
    )
    state = fields.Selection(
        [("new", "New"), ("checked", "Checked")], default="new", readonly=True
    )
    error_count = fields.Integer(readonly=True)
    result_html = fields.Html(readonly=True, sanitize=False)

    @api.onchange("payroll_id")
    def _onchange_payroll_id(self):
        fsps = self.payroll_id.payment_ids.fsp_id.filtered(
            lambda f: f.provider == "file"
        )
        if len(fsps) == 1:
            self.fsp_id = fsps

    # Actions --------------------------------------------------------------

    def action_check(self):
        """Validate the whole file and show the result; nothing is written."""
        self.ensure_one()
        raw, _sha = self._spp_raw()
        kind, lines, errors, summary = self._spp_validate(raw)
        self.write(
            {
                "kind": kind,
                "state": "checked",
                "error_count": len(errors),
                "result_html": self._spp_result_html(errors, summary),
            }
        )
        return self._spp_reopen()

    def action_import(self):
        """Create the batch from a clean file, and submit it for acceptance."""
        self.ensure_one()
        self.env["spp.reconciliation"].check_access("create")
        raw, sha = self._spp_raw()
        self._spp_check_not_imported(sha)
        kind, lines, errors, summary = self._spp_validate(raw)
        if errors:
            raise UserError(
                self.env._(
                    "%(n)s rows of %(file)s are wrong; nothing was imported. "
                    "First: %(first)s",
                    n=len(errors),
                    file=self.file_name,
                    first=str(errors[0]),
                )
            )
        payroll_id, program, _where = self._spp_scope()
        batch = self.env["spp.reconciliation"]._spp_create_batch(
            {
                "name": self.env._(
                    "%(fsp)s reply %(file)s", fsp=self.fsp_id.name, file=self.file_name
                ),
                "source": "file",
                "program_id": program.id,
                "payroll_id": payroll_id,
                "fsp_id": self.fsp_id.id,
                "file_name": self.file_name,
                "file_sha256": sha,
            },
            lines,
            file=summary,
        )
        batch._spp_attach_file(raw, self.file_name)
        batch.action_submit()
        return batch._spp_action_open()

    def _spp_reopen(self):
        return reopen_wizard(self)

    # Validation ----------------------------------------------------------

    def _spp_scope(self):
        """What the reply may settle: (payroll id or False, program, SQL over
        the payments ``p`` it may name). Here a payroll's payments; a module
        paying outside payrolls (merchant settlements) extends it."""
        return (
            self.payroll_id.id,
            self.payroll_id.program_id,
            SQL("p.payroll_id = %s", self.payroll_id.id),
        )

    def _spp_raw(self):
        if not self.data and not self.file_name:
            raise UserError(self.env._("Choose the file to import."))
        raw = base64.b64decode(self.data or b"")
        return raw, hashlib.sha256(raw).hexdigest()

    def _spp_check_not_imported(self, sha):
        previous = (
            self.env["spp.reconciliation"]
            .sudo()
            .search(
                [("fsp_id", "=", self.fsp_id.id), ("file_sha256", "=", sha)], limit=1
            )
        )
        if previous:
            raise UserError(
                self.env._(
                    "%(file)s was already imported on %(date)s by %(user)s as "
                    "%(batch)s: the same content is never applied twice.",
                    file=self.file_name,
                    date=previous.create_date,
                    user=previous.create_uid.name,
                    batch=previous.name,
                )
            )

    def _spp_validate(self, raw):
        """(kind, lines, errors, summary) for ``raw``; errors are TableErrors."""
        name = self.file_name or "upload"
        kind = "table"
        try:
            kind = _sniff(raw)
            if kind == "table":
                lines, errors, summary = self._spp_validate_table(raw, name)
            else:
                lines, errors, summary = self._spp_validate_iso(raw, name, kind)
        except (tables.TableError, iso20022.Iso20022Error) as error:
            if not isinstance(error, tables.TableError):
                error = tables.TableError(str(error), name)
            return kind, [], [error], {}
        return kind, lines, errors, summary

    def _spp_validate_table(self, raw, name):
        fsp = self.fsp_id
        table = tables.read_table(raw, name, encoding=fsp.recon_encoding or "utf-8")
        template = fsp._spp_import_template()
        column = table.index(template.match_column)
        keys = {
            cells[column].strip() for _n, cells in table.rows if column < len(cells)
        }
        lookup = self._spp_lookup(fsp.recon_match_on or "reference", keys)
        payroll_id, program, _where = self._spp_scope()
        result = reconcile.validate(
            table,
            template,
            lookup,
            payroll_id,
            program.id,
            fields.Date.context_today(self),
        )
        lines = result.lines
        for line in lines:
            if line.outcome not in ("paid", "partial"):
                line.paid_amount = None
        return lines, result.errors, result.summary

    def _spp_lookup(self, match_on, keys):
        """Match value -> Target (or list of Targets when ambiguous)."""
        if match_on == "reference":
            return self._spp_lookup_references(keys)
        _payroll_id, _program, scope = self._spp_scope()
        if match_on == "registrant":
            where = SQL("%s AND r.registrant_number = ANY(%s)", scope, list(keys))
            key_sql = SQL("r.registrant_number")
            normalized = {}
        else:
            normalized = {normalize_msisdn(k) or k: k for k in keys}
            where = SQL(
                "%s AND COALESCE(p.destination, r.phone_e164) = ANY(%s)",
                scope,
                list(normalized),
            )
            key_sql = SQL("COALESCE(p.destination, r.phone_e164)")
        partner = SQL("JOIN res_partner r ON r.id = p.partner_id")
        return self._spp_fetch_lookup(key_sql, where, partner, match_on, normalized)

    def _spp_lookup_references(self, keys):
        """A large reply names the payroll's payments: read the payroll once
        (one index range) rather than probe the reference index per row; the
        references it does not hold are looked up to say whose they are. A
        reply outside payrolls names only payments of its scope."""
        reference = SQL("p.reference")
        payroll_id, _program, scope = self._spp_scope()
        if not payroll_id:
            where = SQL("p.reference = ANY(%s) AND %s", list(keys), scope)
            return self._spp_fetch_lookup(reference, where, SQL(""), "reference", {})
        if len(keys) < BULK_LOOKUP:
            where = SQL("p.reference = ANY(%s)", list(keys))
            return self._spp_fetch_lookup(reference, where, SQL(""), "reference", {})
        lookup = self._spp_fetch_lookup(reference, scope, SQL(""), "", {})
        others = keys - lookup.keys()
        if others:
            where = SQL("p.reference = ANY(%s)", list(others))
            lookup.update(
                self._spp_fetch_lookup(reference, where, SQL(""), "reference", {})
            )
        return lookup

    def _spp_fetch_lookup(self, key_sql, where, join, match_on, normalized):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                # The FSP's amount, in its currency: what the bank reports.
                "SELECT %s, p.id, p.payroll_id, p.program_id, "
                "COALESCE(p.fsp_amount, p.amount)::text, p.state "
                "FROM spp_payment p %s WHERE %s",
                key_sql,
                join,
                where,
            )
        )
        lookup, amounts = {}, {}
        for key, *values in self.env.cr.fetchall():
            if match_on == "phone":
                key = normalized.get(key, key)
            pid, payroll, program, amount, state = values
            # A payroll has a few distinct amounts: one Decimal each.
            if amount not in amounts:
                amounts[amount] = Decimal(amount)
            target = reconcile.Target(pid, payroll, program, amounts[amount], state)
            if key in lookup:
                known = lookup[key]
                lookup[key] = (known if isinstance(known, list) else [known]) + [target]
            else:
                lookup[key] = target
        return lookup

    def _spp_validate_iso(self, raw, name, kind):
        if kind == "pain002":
            report = iso20022.parse_pain002(raw)
            items = [
                (i.end_to_end_id, i.outcome, i.amount, None, i.reason_code, i.status)
                for i in report.items
            ]
            if not items and report.group_status == "RJCT":
                raise tables.TableError(
                    "the bank rejected the whole file (group status RJCT) and names "
                    "no payment; execute again after fixing the file",
                    name,
                )
        else:
            items = [
                (
                    n.end_to_end_id,
                    n.outcome,
                    n.amount,
                    n.booking_date,
                    n.reason_code,
                    n.status,
                )
                for n in iso20022.parse_camt054(raw)
            ]
        lookup = self._spp_lookup("reference", {item[0] for item in items if item[0]})
        lines, errors, seen = [], [], {}
        for entry, (ref, outcome, amount, booked, code, status) in enumerate(
            items, start=1
        ):
            problem, target = self._spp_iso_target(lookup, ref, seen, entry)
            if problem:
                errors.append(tables.TableError(problem, name, entry, "EndToEndId"))
                continue
            lines.append(
                _iso_line(
                    entry,
                    target,
                    ISO_OUTCOMES.get(outcome),
                    amount,
                    booked,
                    code,
                    status,
                )
            )
        summary = {"rows": len(items), "errors": len(errors)}
        return lines, errors, summary

    def _spp_iso_target(self, lookup, ref, seen, entry):
        target = lookup.get(ref) if ref else None
        if target is None:
            return f"unknown end-to-end id {ref!r}: no such payment", None
        payroll_id, program, _where = self._spp_scope()
        if target.program_id != program.id:
            return f"{ref} is a payment of another program", None
        if payroll_id and target.payroll_id != payroll_id:
            return f"{ref} is a payment of another payroll", None
        if ref in seen:
            return f"duplicate entry: {ref} already in entry {seen[ref]}", None
        seen[ref] = entry
        return "", target

    # Display --------------------------------------------------------------

    def _spp_result_html(self, errors, summary):
        if errors:
            items = Markup("").join(
                Markup("<li>%s</li>") % escape(str(e)) for e in errors[:SHOWN_ERRORS]
            )
            more = (
                Markup("<p>… and %s more.</p>") % (len(errors) - SHOWN_ERRORS)
                if len(errors) > SHOWN_ERRORS
                else ""
            )
            return Markup(
                '<div class="alert alert-danger"><b>%s</b></div><ul>%s</ul>%s'
            ) % (
                self.env._(
                    "%s problems: fix the file and check it again. Nothing "
                    "was imported.",
                    len(errors),
                ),
                items,
                more,
            )
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td class='text-end'>%s</td></tr>")
            % (key.replace("_", " "), value)
            for key, value in summary.items()
        )
        return Markup(
            '<div class="alert alert-success">%s</div><table class="table table-sm">'
            "%s</table>"
        ) % (self.env._("The file is clean. Import it for acceptance."), rows)


def _sniff(raw):
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        return "table"
    if b"CstmrPmtStsRpt" in raw[:8192]:
        return "pain002"
    if b"BkToCstmrDbtCdtNtfctn" in raw[:8192]:
        return "camt054"
    raise iso20022.Iso20022Error(
        "an XML file that is neither a pain.002 status report nor a camt.054 "
        "notification"
    )


def _iso_line(entry, target, outcome, amount, booked, code, status):
    if outcome == "reversed" and target.state != "paid":
        # Returned before we recorded it paid: for us it simply failed.
        outcome = "failed"
    line = reconcile.Line(
        row=entry,
        payment_id=target.id,
        outcome=outcome or "skipped",
        paid_date=booked,
        reason_code=code,
        reason=iso20022.REASON_TEXT.get(code or "", status or ""),
        note="" if outcome else f"status {status}: no outcome yet",
    )
    final = target.state in reconcile.FINAL_STATES
    if final and not (outcome == "reversed" and target.state == "paid"):
        line.outcome, line.note = "skipped", f"already final ({target.state})"
    elif outcome == "paid":
        line.paid_amount = Decimal(amount) if amount is not None else target.amount
        if line.paid_amount < target.amount:
            line.outcome = "partial"
    return line
