# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What the PPM app's routes do, for the manager the route found: enrol a
device, download its assignments, reconcile a sync of signed events.

Everything runs in sudo with hard filters on the manager: a PPM is a portal
user who can read none of these models. The controller checks who is calling;
this code never trusts a client-side id without checking it belongs to them.
"""

import base64
import binascii
import re
from datetime import timedelta
from decimal import Decimal

from spp_payment_core import ppm
from spp_payment_core.money import format_amount

from odoo import api, fields, models
from odoo.exceptions import LockError
from odoo.tools import SQL

# Per event and per request: phones downscale to ~300 kB (research §5).
MAX_PHOTO_BYTES = 2 * 1024 * 1024
MAX_EVENTS = 500
MAX_REQUEST_BYTES = 64 * 1024 * 1024
# A payment recorded later than the server's clock plus this is refused.
CLOCK_SKEW = timedelta(minutes=10)
# Payment states a PPM can still pay (the cash FSP sent them).
PAYABLE_STATES = ("sent", "accepted", "processing", "unknown")
# Payment states whose payment was withdrawn after the download.
WITHDRAWN_STATES = ("cancelled", "failed", "rejected", "reversed")
_AMOUNT = re.compile(r"\A\d{1,12}(\.\d{1,6})?\Z")
_UUID = re.compile(r"\A[0-9a-fA-F-]{32,36}\Z")


class PpmError(Exception):
    """A request the app must be told about: (HTTP status, code, message)."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _bad(message):
    return PpmError(400, "bad_request", message)


class SppPpmSync(models.AbstractModel):
    _name = "spp.ppm.sync"
    _description = "PPM App Server"

    # Who is calling ------------------------------------------------------

    @api.model
    def _spp_manager(self):
        """The calling user's active, approved manager record, or 403."""
        user = self.env.user
        if not user.has_group("spp_payment_point.group_spp_ppm"):
            raise PpmError(403, "not_ppm", "You are not a payment point manager.")
        manager = (
            self.env["spp.payment.point.manager"]
            .sudo()
            .search(
                [
                    ("user_id", "=", user.id),
                    ("state", "=", "active"),
                    ("approval_state", "=", "approved"),
                ],
                limit=1,
            )
        )
        if not manager:
            raise PpmError(403, "not_ppm", "You have no active, approved PPM record.")
        return manager

    @api.model
    def _spp_device(self, manager, device_id, lock=False):
        if not isinstance(device_id, int) or isinstance(device_id, bool):
            raise _bad("device_id must be an integer.")
        device = self.env["spp.ppm.device"].sudo().browse(device_id).exists()
        if not device or device.manager_id != manager:
            raise PpmError(403, "device_unknown", "This device is not yours.")
        if device.state != "enrolled":
            raise PpmError(403, "device_revoked", "This device has been revoked.")
        if lock:
            try:
                device.lock_for_update()
            except LockError:
                raise PpmError(
                    409, "busy", "This device is syncing already; try again."
                ) from None
        return device

    # Enrol ---------------------------------------------------------------

    @api.model
    def _spp_enrol(self, manager, name, public_key):
        if not isinstance(name, str) or not name.strip() or len(name) > 128:
            raise _bad("name must be a non-empty text of at most 128 characters.")
        if not isinstance(public_key, str) or len(public_key) > 1024:
            raise _bad("public_key must be an SPKI DER key, base64.")
        try:
            ppm.load_public_key(public_key)
        except ppm.SignatureError as error:
            raise _bad(str(error)) from None
        device = (
            self.env["spp.ppm.device"]
            .sudo()
            .create(
                {
                    "name": name.strip(),
                    "manager_id": manager.id,
                    "public_key": public_key,
                }
            )
        )
        return {"device_id": device.id, "name": device.name}

    # Download ------------------------------------------------------------

    @api.model
    def _spp_open_floats(self, manager):
        return (
            self.env["spp.ppm.float"]
            .sudo()
            .search(
                [("manager_id", "=", manager.id), ("state", "=", "open")], order="id"
            )
        )

    @api.model
    def _spp_download(self, manager, device):
        floats = self._spp_open_floats(manager)
        committed = self._spp_committed(floats)
        float_rows = []
        for float_ in floats:
            places = float_.currency_id.decimal_places
            point, cycle = float_.payment_point_id, float_.cycle_id
            issued = Decimal(str(float_.amount_issued or 0))
            left = issued - committed.get(float_.id, (Decimal(0), False))[0]
            float_rows.append(
                {
                    "id": float_.id,
                    "payment_point": {
                        "id": point.id,
                        "code": point.code,
                        "name": point.name,
                        "latitude": point.latitude,
                        "longitude": point.longitude,
                        "radius_m": point.radius_m,
                    },
                    "cycle": {
                        "id": cycle.id,
                        "name": cycle.name,
                        "start_date": fields.Date.to_string(cycle.date_start),
                        "end_date": fields.Date.to_string(cycle.date_end),
                    },
                    "currency": float_.currency_id.name,
                    "amount_issued": format_amount(issued, places),
                    "amount_left": format_amount(left, places),
                }
            )
        payments = []
        if floats:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT p.id, p.reference, f.id, r.name, r.registrant_number,
                           p.amount, c.name, c.decimal_places, p.state
                      FROM spp_payment p
                      JOIN spp_ppm_float f ON f.payroll_point_id = p.payroll_point_id
                      JOIN res_partner r ON r.id = p.partner_id
                      JOIN res_currency c ON c.id = p.currency_id
                     WHERE p.ppm_id = %s AND f.id = ANY(%s)
                       AND f.manager_id = %s AND p.state = ANY(%s)
                  ORDER BY f.id, p.id
                    """,
                    manager.id,
                    floats.ids,
                    manager.id,
                    list(PAYABLE_STATES),
                )
            )
            for (
                pid,
                ref,
                fid,
                name,
                number,
                amount,
                cur,
                places,
                state,
            ) in self.env.cr.fetchall():
                payments.append(
                    {
                        "payment_id": pid,
                        "reference": ref,
                        "float_id": fid,
                        "partner_name": name or "",
                        "registrant_id": number or "",
                        "photo_url": None,
                        "amount": format_amount(amount, places),
                        "currency": cur,
                        "state": state,
                    }
                )
        return {
            "manager": {"id": manager.id, "name": manager.name},
            "device": {
                "id": device.id,
                "last_seq": device.last_seq,
                "last_hash": device.last_hash or "",
            },
            "floats": float_rows,
            "payments": payments,
            "digest": ppm.digest(payments),
        }

    @api.model
    def _spp_committed(self, floats):
        """{float id: (amount paid in live PPM lines, accepted or waiting,
        whether a line of it already went over the float)}."""
        if not floats:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT f.id,
                       COALESCE(SUM(l.paid_amount) FILTER (
                           WHERE l.ppm_verdict = 'accepted'
                             AND l.outcome IN ('paid', 'partial')), 0),
                       COALESCE(bool_or(l.exception_reason = 'over_float'), FALSE)
                  FROM spp_ppm_float f
                  JOIN spp_payment p ON p.payroll_point_id = f.payroll_point_id
                  JOIN spp_reconciliation_line l ON l.payment_id = p.id
                  JOIN spp_reconciliation r ON r.id = l.reconciliation_id
                 WHERE f.id = ANY(%s) AND r.source = 'ppm' AND r.cleared IS NOT TRUE
              GROUP BY f.id
                """,
                floats.ids,
            )
        )
        return {
            fid: (Decimal(str(total)), bool(over))
            for fid, total, over in self.env.cr.fetchall()
        }

    # Sync ----------------------------------------------------------------

    @api.model
    def _spp_sync(self, manager, device_id, batch_uuid, events, device_time=None):
        events = self._spp_check_envelope(batch_uuid, events, device_time)
        device = self._spp_device(manager, device_id, lock=True)
        batch_model = self.env["spp.reconciliation"].sudo()
        known = batch_model.search([("batch_uuid", "=", batch_uuid)], limit=1)
        if known:
            if known.device_id != device:
                raise PpmError(
                    409, "batch_uuid_reused", "This batch UUID is another device's."
                )
            return self._spp_answer(known, known.ppm_answer["results"])
        return _Sync(self.env, manager, device, batch_uuid, events).run()

    @api.model
    def _spp_check_envelope(self, batch_uuid, events, device_time):
        if not isinstance(batch_uuid, str) or not _UUID.match(batch_uuid):
            raise _bad("batch_uuid must be a UUID.")
        if not isinstance(events, list) or not events:
            raise _bad("events must be a non-empty list.")
        if len(events) > MAX_EVENTS:
            raise _bad(f"At most {MAX_EVENTS} events per sync; send them in chunks.")
        seen = set()
        for n, event in enumerate(events):
            if not isinstance(event, dict):
                raise _bad(f"Event {n} is not an object.")
            for name, kinds in (
                ("client_uuid", str),
                ("seq", int),
                ("payment_id", int),
                ("amount", str),
                ("paid_at", str),
                ("signature", str),
            ):
                value = event.get(name)
                if not isinstance(value, kinds) or isinstance(value, bool):
                    raise _bad(f"Event {n}: {name} is missing or of the wrong type.")
            if not _UUID.match(event["client_uuid"]):
                raise _bad(f"Event {n}: client_uuid must be a UUID.")
            if event["seq"] < 1:
                raise _bad(f"Event {n}: seq starts at 1.")
            if event["client_uuid"] in seen:
                raise _bad(f"Event {n}: client_uuid is sent twice.")
            seen.add(event["client_uuid"])
            for name in ("latitude", "longitude", "accuracy"):
                value = event.get(name)
                if value not in (None, "") and (
                    isinstance(value, bool) or not isinstance(value, int | float)
                ):
                    raise _bad(f"Event {n}: {name} must be a number.")
            for name in ("photo", "photo_sha256", "prev_hash", "notes"):
                if event.get(name) is not None and not isinstance(event[name], str):
                    raise _bad(f"Event {n}: {name} must be a text.")
        if device_time is not None and not isinstance(device_time, str):
            raise _bad("device_time must be a text.")
        return sorted(events, key=lambda e: e["seq"])

    @api.model
    def _spp_answer(self, batch, results):
        return {
            "batch": {
                "id": batch.id,
                "name": batch.name,
                "state": batch.approval_state if not batch.cleared else "rejected",
            },
            "results": results,
        }


class _Sync:
    """One sync of one device: every event judged in seq order, in this one
    transaction, with the payments and floats it names locked."""

    def __init__(self, env, manager, device, batch_uuid, events):
        self.env = env
        self.manager, self.device = manager, device
        self.batch_uuid, self.events = batch_uuid, events
        self.now = fields.Datetime.now()
        self.key = ppm.load_public_key(device.public_key)
        self.results = []
        self.lines = []  # (event, line vals, log vals, photo bytes)
        self.logs = []  # (log record or None, log vals, photo bytes)
        self.in_this_sync = set()  # payment ids judged here (double entries)
        self.first_batch = None  # of the first duplicate

    # Judging -------------------------------------------------------------

    def run(self):
        payments, floats = self._lock_targets()
        self.payments = payments
        self.floats = floats
        self.committed = {
            fid: [total, over]
            for fid, (total, over) in self.env["spp.ppm.sync"]
            ._spp_committed(self.env["spp.ppm.float"].sudo().browse(list(floats)))
            .items()
        }
        self.live = self._live_lines()
        chain_seq, chain_hash = self.device.last_seq, self.device.last_hash or ""
        chain_ok = True
        event_model = self.env["spp.ppm.event"].sudo()
        previous = {
            e.client_uuid: e
            for e in event_model.search(
                [("client_uuid", "in", [e["client_uuid"] for e in self.events])]
            )
        }
        for event in self.events:
            message = ppm.event_message(event)
            digest = ppm.event_hash(message)
            log_vals = self._log_vals(event, digest)
            photo, photo_problem = self._photo(event)
            if not ppm.verify(self.key, message, event["signature"]):
                self._refuse(None, log_vals, "bad_signature", photo)
                continue
            prior = previous.get(event["client_uuid"])
            if prior and prior.chained:
                if prior.device_id != self.device or prior.event_hash != digest:
                    self._refuse(None, log_vals, "uuid_reused", photo, chained=False)
                    continue
                if prior.batch_id and not prior.batch_id.cleared:
                    self.first_batch = self.first_batch or prior.batch_id
                    self.results.append(
                        {
                            "client_uuid": event["client_uuid"],
                            "verdict": "duplicate",
                            "reason": prior.verdict
                            + (f":{prior.reason}" if prior.reason else ""),
                            "line_id": prior.line_ref or False,
                        }
                    )
                    continue
                # Its batch was rejected: judged again, its chain link stands.
                self._judge(event, prior, log_vals, photo, photo_problem)
                continue
            if not chain_ok or event["seq"] != chain_seq + 1:
                chain_ok = False
                self._refuse(None, log_vals, "seq_gap", photo, chained=False)
                continue
            if (event.get("prev_hash") or "") != chain_hash:
                chain_ok = False
                self._refuse(None, log_vals, "chain_broken", photo, chained=False)
                continue
            chain_seq, chain_hash = event["seq"], digest
            log_vals["chained"] = True
            self._judge(event, None, log_vals, photo, photo_problem)
        if not chain_ok:
            self.device.write({"chain_broken": True})
            self.device.message_post(
                body=self.env._(
                    "Sync %s: the event chain is broken (sequence gap or hash "
                    "mismatch); events may have been deleted on the device.",
                    self.batch_uuid,
                )
            )
        self.device.write({"last_seq": chain_seq, "last_hash": chain_hash})
        return self._store()

    def _lock_targets(self):
        ids = sorted({e["payment_id"] for e in self.events})
        payments = self.env["spp.payment"].sudo().browse(ids).exists()
        floats = {}
        try:
            payments.lock_for_update()
            if payments:
                self.env.flush_all()
                self.env.cr.execute(
                    SQL(
                        "SELECT p.id, f.id FROM spp_payment p JOIN spp_ppm_float f "
                        "ON f.payroll_point_id = p.payroll_point_id "
                        "WHERE p.id = ANY(%s)",
                        payments.ids,
                    )
                )
                float_of = dict(self.env.cr.fetchall())
                float_recs = (
                    self.env["spp.ppm.float"]
                    .sudo()
                    .browse(sorted(set(float_of.values())))
                )
                float_recs.lock_for_update()
                floats = {f.id: f for f in float_recs}
                self.float_of = float_of
        except LockError:
            raise PpmError(
                409, "busy", "These payments are being changed; sync again shortly."
            ) from None
        if not payments:
            self.float_of = {}
        return {p.id: p for p in payments}, floats

    def _live_lines(self):
        """{payment id: client_uuid} of the PPM lines already standing for
        these payments (in batches not rejected)."""
        if not self.payments:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT l.payment_id, l.client_uuid
                  FROM spp_reconciliation_line l
                  JOIN spp_reconciliation r ON r.id = l.reconciliation_id
                 WHERE l.payment_id = ANY(%s) AND r.source = 'ppm'
                   AND r.cleared IS NOT TRUE
                   AND l.ppm_verdict IN ('accepted', 'exception')
                """,
                list(self.payments),
            )
        )
        return dict(self.env.cr.fetchall())

    def _log_vals(self, event, digest):
        payload = {k: v for k, v in event.items() if k != "photo"}

        def number(name):
            value = event.get(name)
            return float(value) if isinstance(value, int | float) else 0.0

        return {
            "device_id": self.device.id,
            "client_uuid": event["client_uuid"],
            "seq": event["seq"],
            "chained": False,
            "event_hash": digest,
            "prev_hash": event.get("prev_hash") or "",
            "signature": event["signature"],
            "payment_ref": event["payment_id"],
            "amount": event["amount"],
            "paid_at": event["paid_at"],
            "latitude": number("latitude"),
            "longitude": number("longitude"),
            "gps_accuracy": number("accuracy"),
            "photo_sha256": event.get("photo_sha256") or "",
            "payload": payload,
        }

    def _photo(self, event):
        """(photo bytes or None, problem or '') for the signed photo hash."""
        data = event.get("photo") or ""
        if not data:
            return None, "photo_missing"
        # Base64 is 4/3 of the bytes: refuse before decoding a huge one.
        if len(data) > MAX_PHOTO_BYTES * 4 // 3 + 4:
            return None, "photo_too_large"
        try:
            photo = base64.b64decode(data, validate=True)
        except (ValueError, binascii.Error):
            return None, "photo_unreadable"
        if not ppm.is_image(photo):
            return photo, "photo_not_image"
        if ppm.photo_sha256(photo) != (event.get("photo_sha256") or "").lower():
            return photo, "photo_hash_mismatch"
        return photo, ""

    def _refuse(self, prior, log_vals, reason, photo, chained=None):
        if chained is not None:
            log_vals["chained"] = chained
        log_vals.update(verdict="refused", reason=reason, line_ref=0)
        self.logs.append((prior, log_vals, photo, None))
        self.results.append(
            {
                "client_uuid": log_vals["client_uuid"],
                "verdict": "refused",
                "reason": reason,
                "line_id": False,
            }
        )

    def _judge(self, event, prior, log_vals, photo, photo_problem):
        """Rules 2-8 of the research note's table, for one signed event."""
        payment = self.payments.get(event["payment_id"])
        float_ = self.floats.get(self.float_of.get(event["payment_id"]))
        if (
            not payment
            or payment.ppm_id != self.manager
            or not float_
            or float_.manager_id != self.manager
        ):
            return self._refuse(prior, log_vals, "not_assigned", photo)
        if float_.state != "open":
            return self._refuse(prior, log_vals, "cycle_closed", photo)
        places = payment.currency_id.decimal_places
        amount = self._amount(event["amount"], places)
        if amount is None:
            return self._refuse(prior, log_vals, "bad_amount", photo)
        issued = Decimal(format_amount(payment.amount, places))
        if amount > issued:
            return self._refuse(prior, log_vals, "overpaid", photo)
        try:
            paid_at = ppm.parse_utc(event["paid_at"])
        except ValueError:
            return self._refuse(prior, log_vals, "bad_paid_at", photo)
        if paid_at > self.now + CLOCK_SKEW:
            return self._refuse(prior, log_vals, "paid_at_future", photo)
        outcome = "paid" if amount == issued else ("partial" if amount else "failed")
        exception = ""
        if payment.id in self.in_this_sync or (
            payment.id in self.live and self.live[payment.id] != event["client_uuid"]
        ):
            exception = "double_entry"
        elif payment.state == "paid":
            exception = "paid_elsewhere"
            outcome = "double" if amount else "skipped"
        elif payment.state in WITHDRAWN_STATES:
            exception = "cancelled_after_download"
            outcome = "double" if amount else "skipped"
        elif payment.state not in PAYABLE_STATES:
            return self._refuse(prior, log_vals, "not_assigned", photo)
        elif not (
            float_.cycle_id.date_start <= paid_at.date() <= float_.cycle_id.date_end
        ):
            exception = "outside_window"
        elif amount and photo_problem:
            exception = "evidence_pending"
        if not exception and amount:
            committed = self.committed.setdefault(float_.id, [Decimal(0), False])
            issued_float = Decimal(format_amount(float_.amount_issued or 0, places))
            if committed[1] or committed[0] + amount > issued_float:
                committed[1] = True
                exception = "over_float"
            else:
                committed[0] += amount
        self.in_this_sync.add(payment.id)
        flags = self._flags(event, float_.payment_point_id) if amount else []
        if exception and outcome not in ("double",):
            outcome = "skipped"
        verdict = "exception" if exception else "accepted"
        reason = exception or ",".join(flags)
        line = {
            "payment_id": payment.id,
            "fsp_id": payment.fsp_id.id or False,
            "row_no": event["seq"],
            "outcome": outcome,
            "paid_amount": float(amount),
            "paid_date": paid_at.date(),
            "receipt": event["client_uuid"],
            "reason_code": {"partial": "partial", "failed": "not_paid"}.get(
                outcome, False
            ),
            "reason": (event.get("notes") or "")[:250] or False,
            "note": exception or False,
            "client_uuid": event["client_uuid"],
            "device_seq": event["seq"],
            "paid_at": paid_at,
            "latitude": log_vals["latitude"],
            "longitude": log_vals["longitude"],
            "gps_accuracy": log_vals["gps_accuracy"],
            "photo_sha256": log_vals["photo_sha256"],
            "signature": event["signature"],
            "exception_reason": exception or False,
            "ppm_verdict": verdict,
            "ppm_flags": ",".join(flags) or False,
            "extra": event.get("extra") if isinstance(event.get("extra"), dict) else {},
        }
        log_vals.update(verdict=verdict, reason=reason)
        self.logs.append((prior, log_vals, photo, line))
        self.results.append(
            {
                "client_uuid": event["client_uuid"],
                "verdict": verdict,
                "reason": reason,
                "line_id": None,  # filled in once the line exists
            }
        )

    @staticmethod
    def _amount(text, places):
        if not _AMOUNT.match(text):
            return None
        amount = Decimal(text)
        if amount != amount.quantize(Decimal(1).scaleb(-places)):
            return None
        return amount

    @staticmethod
    def _flags(event, point):
        lat, lon = event.get("latitude"), event.get("longitude")
        if not isinstance(lat, int | float) or not isinstance(lon, int | float):
            return ["gps_missing"]
        if (point.latitude or point.longitude) and ppm.outside_radius(
            point.latitude,
            point.longitude,
            point.radius_m,
            lat,
            lon,
            event.get("accuracy")
            if isinstance(event.get("accuracy"), int | float)
            else 0,
        ):
            return ["gps_outside_radius"]
        return []

    # Storing -------------------------------------------------------------

    def _store(self):
        if not self.logs:
            # Every event was synced before: the same answers, nothing created
            # (the batch named is the first event's).
            return self.env["spp.ppm.sync"]._spp_answer(self.first_batch, self.results)
        batch = self._create_batch()
        line_model = self.env["spp.reconciliation.line"].sudo()
        line_vals = [line for _p, _l, _ph, line in self.logs if line]
        for vals in line_vals:
            vals["reconciliation_id"] = batch.id
        lines = line_model.create(line_vals) if line_vals else line_model
        line_of = {line.client_uuid: line.id for line in lines}
        event_model = self.env["spp.ppm.event"].sudo()
        new_logs, attachments = [], []
        for prior, log_vals, _photo, line in self.logs:
            log_vals["batch_id"] = batch.id
            if line:
                log_vals["line_ref"] = line_of[log_vals["client_uuid"]]
            if prior:
                prior.write(
                    {
                        k: log_vals[k]
                        for k in ("batch_id", "verdict", "reason", "line_ref")
                    }
                )
            else:
                new_logs.append(log_vals)
        created = iter(event_model.create(new_logs) if new_logs else ())
        for prior, log_vals, photo, line in self.logs:
            record = prior or next(created)
            if photo is None:
                continue
            owner = (
                ("spp.reconciliation.line", line_of[log_vals["client_uuid"]])
                if line
                else ("spp.ppm.event", record.id)
            )
            attachments.append(
                {
                    "name": f"{log_vals['client_uuid']}.jpg",
                    "raw": photo,
                    "mimetype": "image/jpeg",
                    "res_model": owner[0],
                    "res_id": owner[1],
                    "public": False,
                }
            )
        photos = (
            self.env["ir.attachment"]
            .sudo()
            .with_context(image_no_postprocess=True)
            .create(attachments)
            if attachments
            else self.env["ir.attachment"]
        )
        links = [
            (line_of_id, photo.id)
            for photo in photos
            if photo.res_model == "spp.reconciliation.line"
            and (line_of_id := photo.res_id)
        ]
        if links:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    "UPDATE spp_reconciliation_line l SET photo_id = v.photo "
                    "FROM unnest(%s::int[], %s::int[]) AS v(line, photo) "
                    "WHERE l.id = v.line",
                    [lid for lid, _p in links],
                    [pid for _l, pid in links],
                )
            )
            line_model.invalidate_model(["photo_id"])
        for result in self.results:
            if result["line_id"] is None:
                result["line_id"] = line_of.get(result["client_uuid"], False)
        summary = dict(
            batch._spp_summarize() if lines else {"lines": 0, "by_outcome": {}},
            events={
                verdict: sum(1 for r in self.results if r["verdict"] == verdict)
                for verdict in ("accepted", "duplicate", "exception", "refused")
            },
        )
        batch._spp_write_approval(
            {"summary": summary, "ppm_answer": {"results": self.results}}
        )
        if lines:
            batch.action_submit()
        return self.env["spp.ppm.sync"]._spp_answer(batch, self.results)

    def _create_batch(self):
        program = next(
            (p.program_id for p in self.payments.values() if p.ppm_id == self.manager),
            None,
        )
        name = self.env["ir.sequence"].sudo().next_by_code("spp.reconciliation.ppm")
        return (
            self.env["spp.reconciliation"]
            .sudo()
            .create(
                {
                    "name": name or f"PPM {self.batch_uuid}",
                    "source": "ppm",
                    "program_id": (program or self._manager_program()).id,
                    "batch_uuid": self.batch_uuid,
                    "device_id": self.device.id,
                    "ppm_id": self.manager.id,
                }
            )
        )

    def _manager_program(self):
        """A batch needs a program: the one of the PPM's latest float (a sync
        refused whole still records its batch)."""
        float_ = (
            self.env["spp.ppm.float"]
            .sudo()
            .search([("manager_id", "=", self.manager.id)], order="id desc", limit=1)
        )
        if not float_:
            raise PpmError(403, "not_assigned", "You carry no cash float.")
        return float_.payroll_id.program_id
