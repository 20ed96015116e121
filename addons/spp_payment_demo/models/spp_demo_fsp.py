# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""FSPs simulated inside Odoo, so the demo pays through M-Pesa, G2P Connect and
Payment Hub EE with no outside service. The loopback simulators of
spp_payment_core answer at ``/spp_payment_demo/fsp/<provider>/...`` (see the
controller); a cron settles their payments and posts their callbacks to this
server's callback URLs every minute. Their memory is the Odoo process's: a
restart forgets what they hold, and the status query then fails the payments
they no longer know."""

import threading

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from spp_payment_core.simulators.base import PAID
from spp_payment_core.simulators.g2p_connect import G2pConnectSimulator
from spp_payment_core.simulators.mpesa import MpesaSimulator
from spp_payment_core.simulators.phee import PheeSimulator

from odoo import api, models

_SIMULATORS = {}
_LOCK = threading.Lock()
KEY_PARAM = "spp_payment_demo.mpesa_simulator_key"
MPESA_PASSWORD = "Safaricom999!"
# Last two digits of the beneficiary's number -> what the simulated FSP does:
# about one payment in twenty does not simply succeed.
DEMO_OUTCOMES = {
    "13": "insufficient_funds",
    "27": "invalid_account",
    "41": "lost_callback",
    "58": "reversed",
    "72": "duplicate_callback",
}

DEMO_API_FSPS = {
    "Demo M-Pesa (simulated)": {
        "provider": "mpesa",
        "api_key": "consumer-key",
        "api_secret": "consumer-secret",
        "mpesa_shortcode": "600999",
        "mpesa_initiator": "spp-demo",
        "mpesa_initiator_password": MPESA_PASSWORD,
        "rate_limit_tps": 0,
    },
    "Demo G2P Connect (simulated)": {
        "provider": "g2p_connect",
        "api_username": "spp",
        "api_secret": "secret",
        "g2p_payer_fa": "account:100200300@demo-central-bank",
    },
    "Demo Payment Hub EE (simulated)": {
        "provider": "phee",
        "api_username": "mifos",
        "api_secret": "password",
        "phee_tenant": "ibank-usa",
        "phee_payer_identifier": "254700999999",
    },
}


def demo_outcome(number):
    digits = "".join(ch for ch in str(number or "") if ch.isdigit())
    return DEMO_OUTCOMES.get(digits[-2:], PAID)


class SppDemoFsp(models.AbstractModel):
    _name = "spp.demo.fsp"
    _description = "Simulated Demo FSPs"

    @api.model
    def _configure(self, base_url):
        """Create (or point again at ``base_url``) the simulated FSPs, in test
        mode. Returns them."""
        self.env["res.users"].check_access("create")  # administrators only
        fsps = self.env["spp.fsp"].sudo()
        for name, vals in DEMO_API_FSPS.items():
            fsp = fsps.search([("name", "=", name)], limit=1)
            vals = dict(
                vals,
                name=name,
                state="test",
                api_url=f"{base_url.rstrip('/')}/spp_payment_demo/fsp/{vals['provider']}",
                callback_base_url=base_url,
                retry_backoff_seconds=1,
                status_query_after_minutes=1,
            )
            if vals["provider"] == "mpesa":
                vals["mpesa_certificate"] = self._mpesa_public_key()
            if fsp:
                fsp.write(vals)
            else:
                fsp = fsps.create(vals)
            fsps |= fsp
        return fsps

    @api.model
    def _mpesa_key(self):
        """The simulator's RSA key (demo only), made by _configure."""
        pem = self.env["ir.config_parameter"].sudo().get_param(KEY_PARAM)
        if not pem:
            raise KeyError("the simulated M-Pesa has no key: configure the demo")
        return serialization.load_pem_private_key(pem.encode(), password=None)

    @api.model
    def _mpesa_public_key(self):
        params = self.env["ir.config_parameter"].sudo()
        if not params.get_param(KEY_PARAM):
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            params.set_param(KEY_PARAM, pem.decode())
        return (
            self._mpesa_key()
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
            .decode()
        )

    @api.model
    def _simulator(self, provider):
        """This database's simulator of ``provider`` (made on first use)."""
        key = (self.env.cr.dbname, provider)
        with _LOCK:
            if key not in _SIMULATORS:
                _SIMULATORS[key] = self._new_simulator(provider)
            return _SIMULATORS[key]

    @api.model
    def _new_simulator(self, provider):
        # Callbacks are POSTed to the FSPs' callback URLs: this same server.
        options = {"listen": False}
        if provider == "mpesa":
            simulator = MpesaSimulator(
                self._mpesa_key(), password=MPESA_PASSWORD, **options
            )
            # The simulated shortcode keeps its accounts in the demo M-Pesa
            # FSP's currency: its AccountBalance answers are then readable.
            fsp = self._demo_fsp_of("mpesa")
            if fsp:
                simulator.currency = fsp.currency_id.name
        elif provider == "g2p_connect":
            simulator = G2pConnectSimulator(**options)
        elif provider == "phee":
            simulator = PheeSimulator(**options)
        else:
            raise KeyError(provider)
        simulator.outcome_of = demo_outcome
        return simulator

    @api.model
    def _cron_settle(self):
        """What the FSPs do "later": settle what they hold, send the callbacks."""
        for (dbname, provider), simulator in list(_SIMULATORS.items()):
            if dbname != self.env.cr.dbname:
                continue
            if hasattr(simulator, "settle"):
                simulator.settle()
            # The FSP's current secret (an administrator may have rotated it),
            # read by the cron, never put in a URL.
            simulator.callback_secret = self._callback_secret(provider)
            simulator.flush()

    @api.model
    def _demo_fsp_of(self, provider):
        """The demo's FSP served by the simulator of ``provider``."""
        return (
            self.env["spp.fsp"]
            .sudo()
            .search(
                [
                    ("provider", "=", provider),
                    ("api_url", "like", f"/spp_payment_demo/fsp/{provider}"),
                ],
                limit=1,
            )
        )

    @api.model
    def _callback_secret(self, provider):
        """The key of our X-SPP-Signature header, for the simulated FSP whose
        protocol lets the integrator configure one (G2P Connect receivers are
        onboarded with it). Daraja and PHEE cannot add such a header: their
        simulators send what the real ones send."""
        if provider != "g2p_connect":
            return None
        return self._demo_fsp_of(provider).callback_secret or None
