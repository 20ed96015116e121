# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Demo data at any scale: households, members, a program, an FSP, demo users.

Registrants, household memberships, bank accounts and program memberships are
written by set-based SQL (INSERT ... SELECT over generate_series, with partner ids
drawn from the sequence up front so members can be linked to their households in
the same pass); only the handful of configuration records go through the ORM.
"""

import json
from pathlib import Path

from odoo import api, models
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import required_column_defaults

from .spp_demo_fsp import DEMO_API_FSPS

DEMO_USERS = Path(__file__).resolve().parents[1] / "data" / "demo_users.json"
FIRST_NAMES = [
    "Amina",
    "Baraka",
    "Chiku",
    "Daudi",
    "Esther",
    "Faraji",
    "Grace",
    "Hassan",
    "Imani",
    "Juma",
    "Kesi",
    "Lulu",
    "Mosi",
    "Neema",
    "Omari",
    "Pendo",
    "Rehema",
    "Salim",
    "Tatu",
    "Zawadi",
]
LAST_NAMES = [
    "Achieng",
    "Barasa",
    "Chebet",
    "Kamau",
    "Kiprop",
    "Mwangi",
    "Njeri",
    "Odhiambo",
    "Otieno",
    "Wanjiru",
    "Wekesa",
    "Lokwawi",
    "Ekai",
    "Nakuru",
    "Ewoi",
]
REGIONS = ["Turkana", "Marsabit", "Wajir", "Mandera"]
DISTRICTS = ["North", "South", "East", "West"]
# About one household in 200 shares the phone of the previous one, so the demo
# payroll shows duplicate flags.
SHARED_PHONE_EVERY = 200
MPESA = "[('fsp_id.provider', '=', 'mpesa')]"
NOT_MPESA = "[('fsp_id.provider', '!=', 'mpesa')]"


# Digital members are spread over these FSPs (see _insert_memberships).
DEMO_FSPS = {
    "Demo Bank (manual)": {"provider": "manual", "state": "test"},
    # Cash handed out by payment point managers (spp_payroll_ppm).
    "Demo Cash at Payment Points": {"provider": "cash", "state": "enabled"},
    "Demo Bank (CSV file)": {
        "provider": "file",
        "state": "test",
        "file_format": "csv",
        "file_column_ids": [
            (0, 0, {"sequence": n, "field": field, "header": header})
            for n, (field, header) in enumerate(
                [
                    ("reference", "reference"),
                    ("registrant_id", "beneficiary_id"),
                    ("name", "name"),
                    ("destination", "account"),
                    ("amount", "amount"),
                    ("currency", "currency"),
                ]
            )
        ],
        "recon_match_on": "reference",
        "recon_match_column": "reference",
        "recon_status_column": "status",
        "recon_amount_column": "amount",
        "recon_date_column": "date",
        "recon_receipt_column": "receipt",
        "recon_status_map_ids": [
            (0, 0, {"value": "paid", "outcome": "paid"}),
            (0, 0, {"value": "failed", "outcome": "failed"}),
        ],
    },
    "Demo Bank (ISO 20022)": {
        "provider": "file",
        "state": "test",
        "file_format": "pain.001.001.09",
        "iso_initiating_party": "Demo Ministry of Social Protection",
        "iso_debtor_name": "Demo Ministry of Social Protection",
        "iso_debtor_account": "KE12DEMO00000000001234567",
        "iso_debtor_bic": "DEMOKENAXXX",
        "iso_category_purpose": "SSBE",
    },
}


class SppDemoGenerator(models.AbstractModel):
    _name = "spp.demo.generator"
    _description = "Demo Data Generator"

    @api.model
    def _generate(self, households=300, max_members=6, seed=0.42):
        """Create ``households`` demo households with 1 to ``max_members`` members,
        and the demo program, FSP and users on the first call. Returns counts."""
        self.env["res.users"].check_access("create")  # administrators only
        users = self._create_demo_users()
        fsp = self._demo_fsp()
        program = self._demo_program(users)
        districts = self._demo_areas()
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT setseed(%s)", seed))
        first = self._next_household_number()
        self._insert_households(first, households, districts, max_members)
        members = self._insert_members()
        self._insert_bank_accounts()
        enrolled = self._insert_memberships(program, fsp)
        self._demo_cycle(program, users)
        self._demo_payment_point_managers(users)
        self.env.cr.execute(SQL("DROP TABLE demo_hh; DROP TABLE demo_ind"))
        self.env.invalidate_all()
        return {
            "households": households,
            "individuals": members,
            "memberships": enrolled,
        }

    # Configuration records (ORM) -------------------------------------------

    @api.model
    def _demo_user_specs(self):
        """The demo logins (data/demo_users.json); demo addons add theirs. A
        spec's "group" is one group's XML id or a list of them."""
        return json.loads(DEMO_USERS.read_text())

    @api.model
    def _create_demo_users(self):
        users = {}
        for spec in self._demo_user_specs():
            user = self.env["res.users"].search([("login", "=", spec["login"])])
            if not user:
                groups = spec["group"]
                groups = [groups] if isinstance(groups, str) else groups
                user = self.env["res.users"].create(
                    {
                        "name": spec["role"],
                        "login": spec["login"],
                        "password": spec["password"],
                        "group_ids": [(4, self.env.ref(g).id) for g in groups],
                    }
                )
            users[spec["login"]] = user
        return users

    @api.model
    def _demo_update(self, base_url):
        """An existing demo database brought up to the code (setup/run): the
        simulated services pointed at ``base_url``; demo addons add what they
        introduced since."""
        self.env["spp.demo.fsp"]._configure(base_url)

    @api.model
    def _demo_fsp(self):
        """The demo FSPs: manual, a CSV and an ISO 20022 file bank, and the FSPs
        simulated by Odoo (M-Pesa, G2P Connect, Payment Hub EE). Returns the
        manual one; the others are found by name."""
        for name, vals in DEMO_FSPS.items():
            if not self.env["spp.fsp"].search([("name", "=", name)]):
                self.env["spp.fsp"].create(dict(vals, name=name))
        if not self.env["spp.fsp"].search_count([("name", "in", list(DEMO_API_FSPS))]):
            base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
            self.env["spp.demo.fsp"]._configure(base_url)
        return self.env["spp.fsp"].search([("name", "=", "Demo Bank (manual)")])

    @api.model
    def _demo_fsp_named(self, name):
        return self.env["spp.fsp"].search([("name", "=", name)], limit=1)

    @api.model
    def _demo_program(self, users):
        program = self.env["spp.program"].search([("code", "=", "DEMO-CT")])
        if program:
            return program
        program = (
            self.env["spp.program"]
            .with_user(users["officer"])
            .create(
                {
                    "name": "Demo Cash Transfer",
                    "code": "DEMO-CT",
                    "target_type": "household",
                    "description": "Generated by spp_payment_demo.",
                }
            )
        )
        program.action_submit()
        program.with_user(users["manager"]).action_approve("Demo program")
        return program.sudo()

    @api.model
    def _demo_cycle(self, program, users):
        cycles = self.env["spp.payment.cycle"].search([("program_id", "=", program.id)])
        if cycles:
            return cycles[:1]
        disability = "[('partner_id.has_disability', '=', True)]"
        cycle = (
            self.env["spp.payment.cycle"]
            .with_user(users["officer"])
            .create(
                {
                    "name": "Demo cycle 1",
                    "program_id": program.id,
                    "date_start": "2026-01-01",
                    "date_end": "2026-12-31",
                    "fixed_amount": 50.0,
                    # A region's payment point carries more: split in parts.
                    "ppm_carry_limit": 400.0,
                    "has_cap": True,
                    "cap_amount": 60.0,
                    "rule_ids": [
                        (
                            0,
                            0,
                            {
                                "name": "Disability top-up",
                                "code": "disability",
                                "amount": 15.0,
                                "condition": disability,
                            },
                        ),
                        (
                            0,
                            0,
                            {
                                "name": "Withdrawal fee credit",
                                "code": "fee",
                                "amount": 0.7,
                                "counts_toward_cap": False,
                                "condition": NOT_MPESA,
                            },
                        ),
                        (
                            0,
                            0,
                            {
                                # M-Pesa pays whole shillings.
                                "name": "M-Pesa withdrawal fee credit",
                                "code": "fee_mpesa",
                                "amount": 1.0,
                                "counts_toward_cap": False,
                                "condition": MPESA,
                            },
                        ),
                    ],
                }
            )
        )
        cycle.action_submit()
        cycle.with_user(users["manager"]).action_approve("Demo cycle")
        return cycle

    @api.model
    def _demo_areas(self):
        """District ids under a small country > region > district tree."""
        area = self.env["spp.area"]
        country = area.search([("code", "=", "DEMO")]) or area.create(
            {"name": "Demo Country", "code": "DEMO"}
        )
        districts = area.browse()
        for region_name in REGIONS:
            code = f"DEMO-{region_name[:3].upper()}"
            region = area.search([("code", "=", code)]) or area.create(
                {"name": region_name, "code": code, "parent_id": country.id}
            )
            for district_name in DISTRICTS:
                district_code = f"{code}-{district_name[0]}"
                districts |= area.search([("code", "=", district_code)]) or area.create(
                    {
                        "name": f"{region_name} {district_name}",
                        "code": district_code,
                        "parent_id": region.id,
                    }
                )
        return districts.ids

    # Bulk inserts (SQL) ------------------------------------------------------

    @api.model
    def _next_household_number(self):
        self.env.cr.execute(
            SQL(
                "SELECT COALESCE(MAX(substring(registrant_number FROM 4)::int), 0) + 1 "
                "FROM res_partner WHERE registrant_number ~ '^HH-[0-9]+$'"
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _partner_required_defaults(self):
        """Columns other installed modules make NOT NULL on res_partner (e.g.
        account's autopost_bills), with their ORM defaults, for the bulk
        inserts: {"extra_columns": SQL, "extra_values": SQL}."""
        named = {
            "id", "name", "complete_name", "active", "type", "is_company",
            "commercial_partner_id", "partner_share", "lang", "is_registrant",
            "registrant_type", "registrant_number", "phone_e164", "area_id",
            "has_disability", "national_id", "gender", "birthdate",
            "create_uid", "create_date", "write_uid", "write_date",
        }  # fmt: skip
        return required_column_defaults(self.env, "res.partner", named)

    @api.model
    def _audit_columns(self):
        return SQL(
            "%(uid)s, now() at time zone 'utc', %(uid)s, now() at time zone 'utc'",
            uid=self.env.uid,
        )

    @api.model
    def _insert_households(self, first, count, districts, max_members):
        self.env.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE demo_hh ON COMMIT DROP AS
                SELECT nextval('res_partner_id_seq') AS id, g,
                       (%(last)s::text[])[1 + floor(random() * %(n_last)s)::int]
                           AS family,
                       (%(districts)s::int[])[1 + floor(random() * %(n_d)s)::int]
                           AS area_id,
                       '+2547' || lpad((CASE WHEN g %% %(every)s = 0 AND g > 1
                                             THEN g - 1 ELSE g END)::text, 8, '0')
                           AS phone,
                       random() < 0.08 AS disability,
                       1 + floor(random() * %(max)s)::int AS size
                  FROM generate_series(%(first)s, %(last_g)s) AS g
                """,
                last=LAST_NAMES,
                n_last=len(LAST_NAMES),
                districts=districts,
                n_d=len(districts),
                every=SHARED_PHONE_EVERY,
                max=max_members,
                first=first,
                last_g=first + count - 1,
            )
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO res_partner (
                    id, name, complete_name, active, type, is_company,
                    commercial_partner_id, partner_share, lang, is_registrant,
                    registrant_type, registrant_number, phone_e164, area_id,
                    has_disability, create_uid, create_date, write_uid, write_date
                    %(extra_columns)s)
                SELECT id, 'Household ' || family, 'Household ' || family, TRUE,
                       'contact', TRUE, id, TRUE, 'en_US', TRUE, 'household',
                       'HH-' || lpad(g::text, 7, '0'), phone, area_id, disability,
                       %(audit)s %(extra_values)s
                  FROM demo_hh
                """,
                audit=self._audit_columns(),
                **self._partner_required_defaults(),
            )
        )

    @api.model
    def _insert_members(self):
        self.env.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE demo_ind ON COMMIT DROP AS
                SELECT nextval('res_partner_id_seq') AS id, h.id AS household_id,
                       h.family, h.area_id, k AS idx,
                       (%(first)s::text[])[1 + floor(random() * %(n_first)s)::int]
                           AS given,
                       CASE WHEN random() < 0.5 THEN 'female' ELSE 'male' END
                           AS gender,
                       (date '2026-01-01' - (CASE WHEN k = 1 THEN 20 ELSE 0 END
                           + floor(random() * 60)::int) * 365) AS birthdate,
                       random() < 0.05 AS disability
                  FROM demo_hh h, generate_series(1, h.size) AS k
                """,
                first=FIRST_NAMES,
                n_first=len(FIRST_NAMES),
            )
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO res_partner (
                    id, name, complete_name, active, type, is_company,
                    commercial_partner_id, partner_share, lang, is_registrant,
                    registrant_type, registrant_number, national_id, gender,
                    birthdate, area_id, has_disability,
                    create_uid, create_date, write_uid, write_date
                    %(extra_columns)s)
                SELECT id, given || ' ' || family, given || ' ' || family, TRUE,
                       'contact', FALSE, id, TRUE, 'en_US', TRUE, 'individual',
                       'IND-' || lpad(id::text, 9, '0'),
                       'NID' || lpad(id::text, 10, '0'), gender, birthdate, area_id,
                       disability, %(audit)s %(extra_values)s
                  FROM demo_ind;
                INSERT INTO spp_group_membership (
                    group_id, individual_id, role,
                    create_uid, create_date, write_uid, write_date)
                SELECT household_id, id,
                       CASE WHEN idx = 1 THEN 'head' ELSE 'member' END, %(audit)s
                  FROM demo_ind
                """,
                audit=self._audit_columns(),
                **self._partner_required_defaults(),
            )
        )
        return self.env.cr.rowcount

    @api.model
    def _insert_bank_accounts(self):
        """A bank account for about a third of the households."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO res_partner_bank (
                    partner_id, acc_number, sanitized_acc_number, active,
                    create_uid, create_date, write_uid, write_date)
                SELECT id, 'DEMO' || lpad(g::text, 12, '0'),
                       'DEMO' || lpad(g::text, 12, '0'), TRUE, %s
                  FROM demo_hh WHERE g %% 3 = 0
                """,
                self._audit_columns(),
            )
        )

    @api.model
    def _insert_memberships(self, program, fsp):
        """Every new household enrolled; mostly digital, some at payment points
        and by voucher."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO spp_program_membership (
                    program_id, partner_id, company_id, currency_id, state, channel,
                    fsp_id, entitled_total, paid_total, balance, payment_count,
                    enrollment_date, days_worked, trainings_attended,
                    is_balance_based, create_uid, create_date, write_uid, write_date)
                SELECT %(program)s, h.id, %(company)s, %(currency)s, 'enrolled',
                       CASE WHEN r < 0.8 THEN 'digital'
                            WHEN r < 0.95 THEN 'payment_point' ELSE 'voucher' END,
                       CASE WHEN r >= 0.8 AND r < 0.95 THEN %(cash_fsp)s
                            WHEN r < 0.1 OR r >= 0.8 THEN %(fsp)s
                            WHEN r < 0.2 THEN %(csv_fsp)s
                            WHEN r < 0.3 THEN %(iso_fsp)s
                            WHEN r < 0.45 THEN %(mpesa_fsp)s
                            WHEN r < 0.6 THEN %(g2p_fsp)s ELSE %(phee_fsp)s END,
                       0, 0, 0, 0, current_date,
                       floor(random() * 20)::int, floor(random() * 5)::int,
                       %(balance_based)s, %(audit)s
                  FROM (SELECT id, random() AS r FROM demo_hh) h
                """,
                program=program.id,
                company=program.company_id.id,
                currency=program.currency_id.id,
                # Memberships carry their program's mode (see the balance CHECK).
                balance_based=program.is_balance_based,
                fsp=fsp.id,
                cash_fsp=self._demo_fsp_named("Demo Cash at Payment Points").id,
                csv_fsp=self._demo_fsp_named("Demo Bank (CSV file)").id,
                iso_fsp=self._demo_fsp_named("Demo Bank (ISO 20022)").id,
                mpesa_fsp=self._demo_fsp_named("Demo M-Pesa (simulated)").id,
                g2p_fsp=self._demo_fsp_named("Demo G2P Connect (simulated)").id,
                phee_fsp=self._demo_fsp_named("Demo Payment Hub EE (simulated)").id,
                audit=self._audit_columns(),
                **self._partner_required_defaults(),
            )
        )
        return self.env.cr.rowcount
