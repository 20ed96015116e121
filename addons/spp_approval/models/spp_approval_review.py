# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.tools import SQL


class SppApprovalReview(models.Model):
    """One decision on one submission of a document; never edited afterwards."""

    _name = "spp.approval.review"
    _description = "Approval Review"
    _order = "id desc"

    res_model = fields.Char(string="Document Model", required=True, index=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", required=True, index=True
    )
    submission_no = fields.Integer(required=True)
    user_id = fields.Many2one("res.users", string="Reviewer", required=True)
    group_id = fields.Many2one("res.groups", string="As Member Of")
    decision = fields.Selection(
        [("approve", "Approved"), ("reject", "Rejected")], required=True
    )
    comment = fields.Text()
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    # The document's company, for the multi-company rule: a review points at
    # any model (res_model, res_id), which a rule domain cannot follow.
    company_id = fields.Many2one("res.company", readonly=True, index=True)

    _one_approval_per_user = models.UniqueIndex(
        "(res_model, res_id, submission_no, user_id) WHERE decision = 'approve'",
        "You have already approved this submission.",
    )

    def init(self):
        """Give reviews written before the company column their document's
        company, one UPDATE per document model (reviews of a document whose
        table has gone keep their reviewer's company)."""
        result = super().init()
        cr = self.env.cr
        cr.execute(
            "SELECT DISTINCT res_model FROM spp_approval_review "
            "WHERE company_id IS NULL"
        )
        for (res_model,) in cr.fetchall():
            table = res_model.replace(".", "_")
            cr.execute(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_name = %s AND column_name = 'company_id'",
                [table],
            )
            if cr.fetchone():
                cr.execute(
                    SQL(
                        "UPDATE spp_approval_review r SET company_id = d.company_id"
                        "  FROM %s d"
                        " WHERE r.company_id IS NULL AND r.res_model = %s"
                        "   AND d.id = r.res_id",
                        SQL.identifier(table),
                        res_model,
                    )
                )
        cr.execute(
            "UPDATE spp_approval_review r SET company_id = u.company_id"
            "  FROM res_users u"
            " WHERE r.company_id IS NULL AND u.id = r.user_id"
        )
        return result


class SppApprovalContributor(models.Model):
    """Who prepared a document: created, edited, generated or submitted it, or
    changed its lines (a payroll's payments, a cycle's components). None of
    them reviews it. Append-only; written by the documents' own methods."""

    _name = "spp.approval.contributor"
    _description = "Approval Document Contributor"
    _order = "id"
    _log_access = False

    res_model = fields.Char(string="Document Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", required=True, readonly=True
    )
    user_id = fields.Many2one(
        "res.users", required=True, readonly=True, ondelete="cascade"
    )
    role = fields.Selection(
        [
            ("created", "Created"),
            ("edited", "Edited"),
            ("generated", "Generated"),
            ("lines", "Changed its lines"),
            ("submitted", "Submitted"),
        ],
        required=True,
        readonly=True,
    )
    date = fields.Datetime(required=True, readonly=True)
    # The document's company, for the multi-company rule (as on reviews).
    company_id = fields.Many2one("res.company", readonly=True, index=True)

    _one_row_per_role = models.UniqueIndex(
        "(res_model, res_id, user_id, role)",
        "This contribution is already recorded.",
    )

    @api.model
    def _spp_record(self, records, role):
        """One row per document and the current user in ``role``, the first
        time only; one statement for the lot."""
        if not records.ids:
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO spp_approval_contributor
                    (res_model, res_id, company_id, user_id, role, date)
                SELECT %s, d.id, d.company, %s, %s, now() at time zone 'utc'
                  FROM unnest(%s::int[], %s::int[]) AS d(id, company)
                ON CONFLICT DO NOTHING
                """,
                records._name,
                self.env.uid,
                role,
                list(records.ids),
                [r._spp_approval_company().id or None for r in records],
            )
        )
        self.invalidate_model()
