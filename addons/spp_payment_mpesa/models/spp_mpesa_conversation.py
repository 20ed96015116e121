# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The conversations Daraja opened with us: what authenticates its callbacks.

Daraja cannot sign its Result and QueueTimeOut callbacks, nor add a header to
them, and the callback URL is no place for a secret. But every request Daraja
accepts is answered at once with a ``ConversationID`` it generates (random,
``AG_...``) beside the ``OriginatorConversationID``; the Result it posts later
names both. We record each pair from the synchronous answer and accept only
Results that name a recorded pair: someone who forges a callback would have to
guess a ConversationID that travelled only between Daraja and us, over TLS. An
optional source-address allow-list on the FSP (Safaricom publishes the ranges
its callbacks come from) narrows it further.
"""

from odoo import api, fields, models
from odoo.tools import SQL

# Daraja's Results come within minutes; a pair this old authenticates nothing
# any more (a later status query opens a conversation of its own).
KEEP_DAYS = 90


class SppMpesaConversation(models.Model):
    _name = "spp.mpesa.conversation"
    _description = "Daraja Conversation"
    _order = "id desc"
    _log_access = False

    fsp_id = fields.Many2one(
        "spp.fsp", required=True, index=True, readonly=True, ondelete="cascade"
    )
    originator_conversation_id = fields.Char(required=True, readonly=True)
    conversation_id = fields.Char(required=True, readonly=True)
    answered_date = fields.Datetime(readonly=True, default=fields.Datetime.now)

    _originator_unique = models.Constraint(
        "UNIQUE(fsp_id, originator_conversation_id)",
        "Daraja answers each OriginatorConversationID once.",
    )

    @api.model
    def _spp_record(self, fsp, originator, conversation):
        """Remember a pair from a synchronous answer (the first one stays: a
        re-sent request is answered as a duplicate, never with a new pair)."""
        self._spp_record_all(fsp, [(originator, conversation)])

    @api.model
    def _spp_record_all(self, fsp, pairs):
        """Remember the (originator, conversation) ``pairs`` of a delivery's
        answers in one statement, like _spp_record."""
        if not pairs:
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO spp_mpesa_conversation
                       (fsp_id, originator_conversation_id, conversation_id,
                        answered_date)
                SELECT %s, o, c, now() at time zone 'utc'
                  FROM unnest(%s::varchar[], %s::varchar[]) AS v(o, c)
                ON CONFLICT (fsp_id, originator_conversation_id) DO NOTHING
                """,
                fsp.id,
                [originator for originator, _conversation in pairs],
                [conversation for _originator, conversation in pairs],
            )
        )

    @api.model
    def _spp_conversation_of(self, fsp, originator):
        """The ConversationID Daraja gave ``originator``, or None."""
        self.env.cr.execute(
            SQL(
                "SELECT conversation_id FROM spp_mpesa_conversation "
                "WHERE fsp_id = %s AND originator_conversation_id = %s",
                fsp.id,
                originator,
            )
        )
        row = self.env.cr.fetchone()
        return row[0] if row else None

    @api.autovacuum
    def _gc_old_conversations(self):
        self.env.cr.execute(
            SQL(
                "DELETE FROM spp_mpesa_conversation WHERE answered_date "
                "< now() at time zone 'utc' - %s * interval '1 day'",
                KEEP_DAYS,
            )
        )
