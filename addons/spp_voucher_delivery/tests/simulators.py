# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The messaging simulators live in spp_payment_core (the demo serves one)."""

from spp_payment_core.simulators.messaging import (  # noqa: F401
    AfricasTalkingSimulator,
    WhatsAppCloudSimulator,
)
