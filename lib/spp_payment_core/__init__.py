"""Odoo-free logic of SPP Payments: money, states, keys, amounts, protocols."""
