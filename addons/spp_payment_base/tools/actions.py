# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).


def reopen_wizard(wizard):
    """The action that shows ``wizard`` again in its dialog: a button that
    validates or previews keeps the user in the wizard with its results
    instead of closing it."""
    wizard.ensure_one()
    return {
        "type": "ir.actions.act_window",
        "res_model": wizard._name,
        "res_id": wizard.id,
        "view_mode": "form",
        "target": "new",
    }
