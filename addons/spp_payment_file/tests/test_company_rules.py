# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payment_base.tests.common import SppCompanyIsolationMixin

from .common import SppFileCommon


class TestCompanyRules(SppFileCommon, SppCompanyIsolationMixin):
    """A payroll's whole trail (cycle, runs, files, replies, their lines and the
    wizards holding it) is out of reach of another company's administrator."""

    def test_other_company_reaches_no_payroll_record(self):
        other_user = self._spp_other_company_user()
        payroll = self._approved_payroll()
        execute = (
            self.env["spp.payroll.execute.wizard"]
            .with_user(self.finance)
            .create({"payroll_id": payroll.id})
        )
        with trap_jobs() as trap:
            payroll.with_user(self.finance).action_execute()
            trap.perform_enqueued_jobs()
        payment = payroll.payment_ids.filtered(lambda p: p.state == "sent")[:1]
        reply = (
            "reference,status,amount,date,receipt,agent\n"
            f"{payment.reference},SUCCESS,{payment.amount:.2f},2026-11-10,R-1,north\n"
        )
        batch = self._import(payroll, reply)
        importer = self._wizard(payroll, reply)
        # A statement of the FSP's account, imported without a payroll.
        self.fsp.iso_debtor_account = "KE12ABCD00000000001234567"
        statement = (
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
            "<BkToCstmrStmt><GrpHdr><MsgId>S-1</MsgId></GrpHdr><Stmt><Id>S-1</Id>"
            "<Acct><Id><IBAN>KE12ABCD00000000001234567</IBAN></Id></Acct><Bal><Tp>"
            "<CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt>10.00</Amt><CdtDbtInd>"
            "CRDT</CdtDbtInd><Dt><Dt>2026-11-20</Dt></Dt></Bal></Stmt>"
            "</BkToCstmrStmt></Document>"
        )
        statement_importer = self._wizard(payroll, statement, "s.xml")
        statement_importer.payroll_id = False
        statement_importer.action_check()
        statement_importer.action_import()
        runs = self.env["spp.payroll.run"].search([("payroll_id", "=", payroll.id)])
        self._assert_company_isolated(
            {
                "spp.payment.cycle": self.cycle,
                "spp.payment.rule": self.cycle.rule_ids,
                "spp.payroll": payroll,
                "spp.payroll.execute.wizard": execute,
                "spp.payroll.execute.wizard.line": execute.line_ids,
                "spp.payroll.run": runs,
                "spp.payment": payment,
                "spp.payment.attempt": payment.attempt_ids,
                "spp.payment.event": payment.event_ids,
                "spp.payment.file": payroll.payment_file_ids,
                "spp.fsp.file.column": self.fsp.file_column_ids,
                "spp.fsp.status.map": self.fsp.recon_status_map_ids,
                "spp.reconciliation": batch,
                "spp.reconciliation.line": batch.line_ids,
                "spp.reconciliation.import": importer | statement_importer,
                "spp.fsp.statement": self.fsp.statement_ids,
                "spp.approval.review": payroll.approval_review_ids,
            },
            self.users["admin"],
            other_user,
        )
