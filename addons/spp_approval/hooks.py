# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from .tools import move_models

# Until spp_payment_base 19.0.1.1.0 the maker-checker lived in spp_payment_base.
FORMER_MODULE = "spp_payment_base"
MODELS = (
    "spp.approval.mixin",
    "spp.approval.policy",
    "spp.approval.tier",
    "spp.approval.review",
    "spp.approval.reject.wizard",
)


def pre_init_hook(env):
    """Adopt the approval models of a database created before the split.

    ``-u`` installs spp_approval as spp_payment_base's new dependency, so it loads
    before spp_payment_base: a pre-migrate of spp_payment_base would come after
    spp_approval had created a second copy of every view, right and rule."""
    move_models(env.cr, MODELS, FORMER_MODULE, "spp_approval")
