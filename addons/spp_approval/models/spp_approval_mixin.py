# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, LockError, UserError
from odoo.tools import SQL

from ..tools import guarded_write, is_guarded_write, refuse_fields, refuse_records

APPROVAL_FIELDS = frozenset(
    {
        "approval_state",
        "submission_no",
        "submitted_by_id",
        "submitted_date",
        "approved_date",
        "rejection_reason",
        "approval_policy_id",
        "approval_slots",
    }
)
_GUARD = "approval"
# The activity each possible approver gets on submission, done on decision.
TO_APPROVE = "spp_approval.mail_activity_type_to_approve"


class SppApprovalMixin(models.AbstractModel):
    """Maker-checker for any document.

    draft -> submitted -> approved, or rejected back to draft with a reason. Enforced
    here, on every path (buttons, RPC, imports): whoever created, edited, generated
    or submitted the document or its lines never reviews it (see
    ``spp.approval.contributor``), nobody approves one submission twice, only
    members of the policy's groups approve, the policy is frozen on the document
    at submission, and a submitted document is read-only but for whitelisted fields.
    """

    _name = "spp.approval.mixin"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Maker-Checker Approval"
    # Checkers have no write access to the documents they review.
    _mail_post_access = "read"

    # Fields that stay writable after submission (e.g. a note, ``active``).
    _spp_approval_writable_fields = frozenset()

    approval_state = fields.Selection(
        [("draft", "Draft"), ("submitted", "Submitted"), ("approved", "Approved")],
        string="Approval",
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    submission_no = fields.Integer(readonly=True, copy=False, default=0)
    submitted_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    submitted_date = fields.Datetime(readonly=True, copy=False)
    approved_date = fields.Datetime(readonly=True, copy=False)
    rejection_reason = fields.Text(readonly=True, copy=False)
    # The policy as it stood at submission: a later edit of the policy does not
    # change what a submitted document needs.
    approval_policy_id = fields.Many2one(
        "spp.approval.policy",
        readonly=True,
        copy=False,
        ondelete="set null",
    )
    approval_slots = fields.Json(
        readonly=True,
        copy=False,
        help="Group ids of the approvals required, one per slot, frozen at submission.",
    )
    approval_review_ids = fields.One2many(
        "spp.approval.review",
        "res_id",
        string="Reviews",
        domain=lambda self: [("res_model", "=", self._name)],
        readonly=True,
    )
    approvals_required = fields.Integer(compute="_compute_approval_progress")
    approvals_given = fields.Integer(compute="_compute_approval_progress")
    spp_to_approve = fields.Boolean(
        string="To Approve by Me",
        compute="_compute_spp_to_approve",
        search="_search_spp_to_approve",
        help="Submitted, awaiting an approval you may give: you are in a group "
        "of its approval slots and did not prepare, submit or approve it.",
    )

    @api.depends("approval_state", "submission_no")
    def _compute_approval_progress(self):
        for record in self:
            record.approvals_required = len(record._spp_required_groups())
            record.approvals_given = len(record._spp_current_approvals())

    @api.depends_context("uid")
    def _compute_spp_to_approve(self):
        mine = set(self._spp_to_approve_ids(self.ids)) if self.ids else set()
        for record in self:
            record.spp_to_approve = record.id in mine

    def _search_spp_to_approve(self, operator, value):
        if operator not in ("in", "not in", "=", "!="):
            return NotImplemented
        values = value if isinstance(value, (list, tuple, set)) else [value]
        positive = any(values) == (operator in ("in", "="))
        return [("id", "in" if positive else "not in", self._spp_to_approve_ids())]

    @api.model
    def _spp_to_approve_ids(self, ids=None):
        """Ids of the submitted documents (of ``ids``, or all) the current user
        may approve: in a group of their frozen slots, neither their creator,
        submitter nor contributor, and not approved by them already. One
        query; record rules apply to the search that uses it."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT d.id FROM %(table)s d
                 WHERE d.approval_state = 'submitted' %(only)s
                   AND d.submitted_by_id IS DISTINCT FROM %(uid)s
                   AND d.create_uid IS DISTINCT FROM %(uid)s
                   AND EXISTS (
                       SELECT 1 FROM jsonb_array_elements_text(d.approval_slots) g
                        WHERE g.value::int = ANY(%(groups)s))
                   AND NOT EXISTS (
                       SELECT 1 FROM spp_approval_contributor c
                        WHERE c.res_model = %(model)s AND c.res_id = d.id
                          AND c.user_id = %(uid)s)
                   AND NOT EXISTS (
                       SELECT 1 FROM spp_approval_review r
                        WHERE r.res_model = %(model)s AND r.res_id = d.id
                          AND r.submission_no = d.submission_no
                          AND r.user_id = %(uid)s AND r.decision = 'approve')
                """,
                table=SQL.identifier(self._table),
                only=SQL("AND d.id = ANY(%s)", list(ids)) if ids is not None else SQL(),
                uid=self.env.uid,
                groups=self.env.user.all_group_ids.ids,
                model=self._name,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    # Activities for checkers ---------------------------------------------

    def _spp_possible_approvers(self):
        """Active internal users of the document's company who could give one
        of the approvals it needs: never who created, prepared or submitted it."""
        self.ensure_one()
        groups = self.env["res.groups"].sudo()
        for group in self._spp_required_groups():
            groups |= group
        company = self._spp_approval_company()
        excluded = (
            self.create_uid | self.submitted_by_id | self._spp_contributor_users()
        )
        return (
            groups.all_user_ids.filtered(
                lambda u: u.active and not u.share and company in u.company_ids
            )
            - excluded
        )

    def _spp_schedule_approval_activities(self):
        if not self.env.ref(TO_APPROVE, raise_if_not_found=False):
            return
        for record in self:
            summary = self.env._("Approve %s", record.display_name)
            for user in record._spp_possible_approvers():
                record.sudo().activity_schedule(
                    TO_APPROVE, summary=summary, user_id=user.id
                )

    def _spp_close_approval_activities(self, feedback, decided):
        """The reviewer's "To approve" is done; once the document is decided,
        the others' are no longer needed and go."""
        activity_type = self.env.ref(TO_APPROVE, raise_if_not_found=False)
        if not activity_type:
            return
        activities = self.sudo().activity_ids.filtered(
            lambda a: a.activity_type_id == activity_type
        )
        mine = activities.filtered(lambda a: a.user_id == self.env.user)
        mine.action_feedback(feedback=feedback)
        if decided:
            (activities - mine).unlink()

    # Extension points ----------------------------------------------------

    def _spp_approval_amount(self):
        """Amount that selects the threshold tiers of the policy."""
        return 0.0

    def _spp_check_can_submit(self):
        """Raise when the document is not ready for review."""

    def _spp_check_can_approve(self):
        """Raise why the final approval must be refused (e.g. no funds)."""

    def _on_spp_submitted(self):
        pass

    def _on_spp_approved(self):
        pass

    def _on_spp_rejected(self):
        pass

    # Policy --------------------------------------------------------------

    def _spp_approval_policy(self):
        self.ensure_one()
        company = self._spp_approval_company()
        policy = (
            self.env["spp.approval.policy"]
            .sudo()
            .search(
                [("res_model", "=", self._name), ("company_id", "in", company.ids)],
                limit=1,
            )
        )
        return policy or self.env["spp.approval.policy"].sudo().new({"name": "default"})

    def _spp_approval_company(self):
        return self["company_id"] if "company_id" in self else self.env.company

    def _spp_required_groups(self):
        """One group per approval slot: frozen at submission, from the policy in
        force while the document is a draft (and for documents submitted
        before slots were frozen, whose slots are empty: False, not a list)."""
        self.ensure_one()
        if self.approval_state != "draft" and isinstance(self.approval_slots, list):
            groups = self.env["res.groups"].sudo()
            return [groups.browse(group_id) for group_id in self.approval_slots]
        return self._spp_policy_groups()

    def _spp_policy_groups(self):
        policy = self._spp_approval_policy()
        return policy._required_groups(self._spp_approval_amount())

    def _spp_current_approvals(self):
        self.ensure_one()
        return (
            self.env["spp.approval.review"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "=", self._origin.id),
                    ("submission_no", "=", self.submission_no),
                    ("decision", "=", "approve"),
                ]
            )
        )

    # Actions -------------------------------------------------------------

    def action_submit(self):
        self.check_access("write")
        self._spp_lock_rows()
        for record in self:
            record._spp_expect_state("draft", self.env._("submitted"))
            record._spp_check_can_submit()
            policy = record._spp_approval_policy()
            record._spp_write_approval(
                {
                    "approval_state": "submitted",
                    "submission_no": record.submission_no + 1,
                    "submitted_by_id": self.env.uid,
                    "submitted_date": fields.Datetime.now(),
                    "rejection_reason": False,
                    "approval_policy_id": policy.id or False,
                    "approval_slots": [g.id for g in record._spp_policy_groups()],
                }
            )
            record._spp_record_contributor("submitted")
            record.message_post(body=self.env._("Submitted for approval."))
            record._on_spp_submitted()
            record._spp_schedule_approval_activities()
        return True

    def action_approve(self, comment=None):
        self._spp_lock_rows()
        for record in self:
            record._spp_approve_one(comment)
        return True

    def action_open_reject_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject %s", self.display_name),
            "res_model": "spp.approval.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_res_model": self._name, "default_res_id": self.id},
        }

    def action_reject(self, reason=None):
        if not reason or not str(reason).strip():
            raise UserError(self.env._("A rejection needs a reason."))
        self._spp_lock_rows()
        for record in self:
            record._spp_reject_one(str(reason).strip())
        return True

    def _spp_approve_one(self, comment):
        self.ensure_one()
        self._spp_expect_state("submitted", self.env._("approved"))
        approvals = self._spp_current_approvals()
        slot_group = self._spp_approval_slot(approvals)
        required = len(self._spp_required_groups())
        given = len(approvals) + 1
        if given >= required:
            # Refused before anything is written: the document stays as it was.
            self._spp_check_can_approve()
        self.env["spp.approval.review"].sudo().create(
            self._spp_review_vals("approve", comment, slot_group)
        )
        self._spp_close_approval_activities(
            self._spp_chatter_body(self.env._("Approved"), comment),
            decided=given >= required,
        )
        if given < required:
            self.message_post(
                body=self.env._(
                    "Approval %(given)s of %(required)s.",
                    given=given,
                    required=required,
                )
            )
            return
        self._spp_write_approval(
            {"approval_state": "approved", "approved_date": fields.Datetime.now()}
        )
        self.message_post(body=self._spp_chatter_body(self.env._("Approved"), comment))
        self._on_spp_approved()

    def _spp_approval_slot(self, approvals):
        """The group the current user approves as, given the approvals already
        given; raises why they may not approve (not independent, approved
        already, no open slot for their groups)."""
        self._spp_check_reviewer_independent()
        if self.env.user in approvals.user_id:
            raise UserError(
                self.env._("You have already approved %s.", self.display_name)
            )
        return self._spp_free_slot_group(approvals)

    def _spp_reject_one(self, reason):
        self.ensure_one()
        self._spp_expect_state("submitted", self.env._("rejected"))
        self._spp_check_reviewer_independent()
        groups = self._spp_required_groups()
        if not any(group in self.env.user.all_group_ids for group in groups):
            raise AccessError(
                self.env._("Only approvers of %s can reject it.", self.display_name)
            )
        self.env["spp.approval.review"].sudo().create(
            self._spp_review_vals("reject", reason, False)
        )
        self._spp_write_approval(
            {"approval_state": "draft", "rejection_reason": reason}
        )
        self._spp_close_approval_activities(
            self._spp_chatter_body(self.env._("Rejected"), reason), decided=True
        )
        self.message_post(body=self._spp_chatter_body(self.env._("Rejected"), reason))
        self._on_spp_rejected()

    # Checks --------------------------------------------------------------

    def _spp_expect_state(self, state, action):
        if self.approval_state != state:
            raise UserError(
                self.env._(
                    "%(doc)s cannot be %(action)s: it is %(state)s.",
                    doc=self.display_name,
                    action=action,
                    state=dict(
                        self._fields["approval_state"]._description_selection(self.env)
                    )[self.approval_state],
                )
            )

    def _spp_check_reviewer_independent(self):
        user = self.env.user
        if (
            user == self.create_uid
            or user == self.submitted_by_id
            or user in self._spp_contributor_users()
        ):
            raise AccessError(
                self.env._(
                    "Segregation of duties: you created, edited, generated or "
                    "submitted %s or its lines, so you cannot review it.",
                    self.display_name,
                )
            )

    def _spp_contributor_users(self):
        self.ensure_one()
        return (
            self.env["spp.approval.contributor"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "=", self._origin.id)])
            .user_id
        )

    def _spp_record_contributor(self, role):
        """Remember that the current user had ``role`` in preparing these
        documents (or their lines): they will not review them."""
        self.env["spp.approval.contributor"]._spp_record(self, role)

    def _spp_free_slot_group(self, approvals):
        """The group of the first approval slot still open that the user fills."""
        open_slots = list(self._spp_required_groups())
        for review in approvals:
            if review.group_id in open_slots:
                open_slots.remove(review.group_id)
        user_groups = self.env.user.all_group_ids
        for group in open_slots:
            if group in user_groups:
                return group
        names = ", ".join(sorted({group.name for group in open_slots}))
        raise AccessError(
            self.env._(
                "You cannot approve %(doc)s: the approvals still needed are for "
                "members of %(groups)s.",
                doc=self.display_name,
                groups=names,
            )
        )

    # Helpers -------------------------------------------------------------

    def _spp_review_vals(self, decision, comment, group):
        return {
            "res_model": self._name,
            "res_id": self.id,
            "submission_no": self.submission_no,
            "user_id": self.env.uid,
            "group_id": group.id if group else False,
            "decision": decision,
            "comment": comment or False,
            "company_id": self._spp_approval_company().id,
        }

    def _spp_chatter_body(self, title, text):
        if not text:
            return title + "."
        return Markup("%s: %s") % (title, text)

    def _spp_lock_rows(self):
        """Serialise concurrent reviews of the same documents: the second of two
        reviewers is told to try again rather than deciding on a state the
        first one is changing."""
        try:
            self.lock_for_update()
        except LockError:
            raise UserError(
                self.env._(
                    "%s is being reviewed by someone else right now; try again.",
                    ", ".join(self.mapped("display_name")),
                )
            ) from None
        self.invalidate_recordset(list(APPROVAL_FIELDS))

    def _spp_write_approval(self, vals):
        # The calling action has checked the user's right to this decision; a
        # checker needs no write access to the document itself.
        with guarded_write(_GUARD):
            self.sudo().write(vals)

    # Write protection ----------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not is_guarded_write(_GUARD):
            for vals in vals_list:
                given = APPROVAL_FIELDS & vals.keys()
                if any(vals[f] not in (False, None, "draft", 0) for f in given):
                    refuse_fields(
                        given,
                        self.env._(
                            "A new document starts as a draft; approval fields "
                            "cannot be set: %s.",
                        ),
                    )
                # Explicit values win over ``default_*`` context keys sent by a client.
                vals.update(
                    approval_state="draft",
                    submission_no=0,
                    submitted_by_id=False,
                    submitted_date=False,
                    approved_date=False,
                    rejection_reason=False,
                    approval_policy_id=False,
                    approval_slots=None,
                )
        records = super().create(vals_list)
        records._spp_record_contributor("created")
        return records

    def write(self, vals):
        if is_guarded_write(_GUARD):
            return super().write(vals)
        self._spp_check_approval_write(vals)
        result = super().write(vals)
        if _edited_fields(vals):
            self._spp_record_contributor("edited")
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_submitted(self):
        if is_guarded_write(_GUARD):
            return
        refuse_records(
            self.filtered(lambda r: r.approval_state != "draft"),
            self.env._("Only draft documents can be deleted: %s."),
        )

    def _spp_check_approval_write(self, vals):
        protected = APPROVAL_FIELDS & vals.keys()
        refuse_fields(
            protected,
            self.env._(
                "Approval fields change only through Submit, Approve and Reject: %s.",
            ),
        )
        changed = _edited_fields(vals) - self._spp_approval_writable_fields
        locked = self.filtered(lambda r: r.approval_state != "draft")
        if changed and locked:
            raise UserError(
                self.env._(
                    "%(docs)s can no longer be changed once submitted (fields: "
                    "%(fields)s). Ask an approver to reject it first.",
                    docs=", ".join(locked.mapped("display_name")),
                    fields=", ".join(sorted(changed)),
                )
            )


def _edited_fields(vals):
    """Fields of ``vals`` that change the document (not its chatter)."""
    return {
        name
        for name in vals
        if not name.startswith(("message_", "activity_", "website_message"))
    }
