# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import contextlib
import logging

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user

ROLES = {
    "viewer": "spp_payment_base.group_spp_viewer",
    "program_officer": "spp_payment_base.group_spp_program_officer",
    "finance_officer": "spp_payment_base.group_spp_finance_officer",
    "finance_manager": "spp_payment_base.group_spp_finance_manager",
    "admin": "spp_payment_base.group_spp_admin",
}


class SppBaseCommon(TransactionCase):
    """Users for every role, an FSP, a program and a few registrants."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.users = {
            role: new_test_user(cls.env, login=f"spp_{role}", groups=group)
            for role, group in ROLES.items()
        }
        cls.manager2 = new_test_user(
            cls.env, login="spp_finance_manager2", groups=ROLES["finance_manager"]
        )
        cls.currency = cls.env.company.currency_id
        cls.fsp = cls.env["spp.fsp"].create(
            {"name": "Manual Bank", "provider": "manual", "state": "enabled"}
        )
        # Fixtures set phones just before paying: no quarantine here (it has
        # its own tests, which turn it on).
        cls.program = cls.env["spp.program"].create(
            {
                "name": "Child Grant",
                "code": "CG",
                "target_type": "household",
                "destination_quarantine_days": 0,
            }
        )
        cls.household = cls._create_household("HH-0001")
        cls.membership = cls.env["spp.program.membership"].create(
            {
                "program_id": cls.program.id,
                "partner_id": cls.household.id,
                "fsp_id": cls.fsp.id,
            }
        )

    @classmethod
    def _create_household(cls, number, **vals):
        return cls.env["res.partner"].create(
            {
                "name": f"Household {number}",
                "is_registrant": True,
                "registrant_type": "household",
                "registrant_number": number,
                **vals,
            }
        )

    @classmethod
    def _create_payment(cls, amount=100.0, **vals):
        return cls.env["spp.payment"].create(
            {
                "program_id": cls.program.id,
                "membership_id": cls.membership.id,
                "partner_id": cls.household.id,
                "fsp_id": cls.fsp.id,
                "amount": amount,
                **vals,
            }
        )


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(f"{record.name} {record.levelname} {record.getMessage()}")


@contextlib.contextmanager
def server_log():
    """Every line Odoo logs at INFO and above while the block runs: the
    request log of werkzeug (which prints each request's path) and Odoo's own
    loggers, as a production server writes them to its log file."""
    capture = _Capture()
    root = logging.getLogger()
    loggers = [logging.getLogger(name) for name in ("werkzeug", "odoo")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.INFO)
    root.addHandler(capture)
    try:
        yield capture.lines
    finally:
        root.removeHandler(capture)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class SppCompanyIsolationMixin:
    """Checks that a user of another company reaches none of a company's records.

    Both users hold the administrator role, so the access rights (CSV) grant
    them everything; only the record rules can tell them apart. The fixture's
    user sees the records (else the test would prove nothing), the other
    company's user finds, reads and writes none of them."""

    def _spp_other_company_user(self):
        other = self.env["res.company"].create({"name": "Other Agency"})
        return new_test_user(
            self.env,
            login="spp_other_company_admin",
            groups=ROLES["admin"],
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )

    def _assert_company_isolated(self, records_by_model, own_user, other_user):
        for model, records in records_by_model.items():
            with self.subTest(model=model):
                self.assertTrue(records, f"no {model} record to test with")
                self._assert_isolated(records, own_user, other_user)

    def _assert_isolated(self, records, own_user, other_user):
        model = records._name
        domain = [("id", "in", records.ids)]
        own = self.env[model].with_user(own_user)
        self.assertEqual(own.search(domain), records, "own company's user")
        own.browse(records.ids).read(["id"])
        other = self.env[model].with_user(other_user)
        self.assertFalse(other.search(domain), "search across companies")
        self.assertFalse(other.search_count(domain), "count across companies")
        with self.assertRaises(AccessError, msg="read across companies"):
            other.browse(records.ids).read(["id"])
        # Writing: the write rule itself must exclude the records, whatever the
        # CSV grants; where the role may write, the ORM's write check (what
        # write() and unlink() call first) must fail too.
        rule = self.env["ir.rule"].with_user(other_user)._compute_domain(model, "write")
        self.assertFalse(
            records.sudo().filtered_domain(rule) if rule else records,
            "write rule across companies",
        )
        if other.has_access("write"):
            with self.assertRaises(AccessError, msg="write across companies"):
                other.browse(records.ids).check_access("write")
