// Copyright 2026 SPP Payments contributors
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
// What the PPM app knows and does: enrol, download, pay (offline), sync.
import { reactive } from "@odoo/owl";
import * as db from "./db";
import {
    canonicalJson,
    eventMessage,
    exportPublicKey,
    generateDeviceKey,
    sha256Hex,
    sign,
    uuid4,
} from "./crypto";
import { currentPosition, preparePhoto } from "./evidence";
import { decimalsOf, fromMinor, toMinor } from "./money";

export const SYNC_CHUNK = 100;
export const SYNC_EVERY_MS = 60000;
// Batch states after which the server will not change its verdicts again.
const SETTLED = new Set(["approved", "accepted", "done"]);
const REJECTED = new Set(["rejected", "cleared"]);

export class AlreadyPaidError extends Error {
    constructor(payment) {
        super(`${payment.partner_name} was already paid on this device`);
        this.name = "AlreadyPaidError";
        this.payment = payment;
    }
}

export class ApiError extends Error {
    constructor(message, data = {}) {
        super(message);
        this.name = "ApiError";
        this.data = data;
    }
}

/** A JSON-RPC call to /ppm/api/*; fails with ApiError, or TypeError offline. */
export async function rpc(route, params) {
    const response = await fetch(route, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", method: "call", id: Date.now(), params }),
    });
    let body;
    try {
        body = await response.json();
    } catch {
        throw new ApiError(`The server answered ${response.status}`, {
            status: response.status,
        });
    }
    if (body.error) {
        const data = body.error.data || {};
        throw new ApiError(data.message || body.error.message, {
            ...data,
            status: response.status,
            code: body.error.code,
        });
    }
    return body.result;
}

export function createStore(info) {
    const state = reactive({
        info,
        ready: false,
        online: navigator.onLine,
        offlineReady: false,
        device: null,
        manager: null,
        floats: [],
        payments: [],
        events: [],
        batches: [],
        downloadedAt: null,
        syncing: false,
        lastSync: null,
        message: "",
        error: "",
        sessionExpired: false,
    });

    const store = {
        state,

        async load() {
            const device = await db.getMeta("device");
            state.device = device && { id: device.id, name: device.name };
            state.manager = await db.getMeta("manager");
            state.downloadedAt = await db.getMeta("downloaded_at");
            state.lastSync = await db.getMeta("last_sync");
            state.floats = await db.getAll("floats");
            state.payments = (await db.getAll("payments")).sort((a, b) =>
                a.partner_name.localeCompare(b.partner_name)
            );
            await store.reloadOutbox();
            state.ready = true;
        },

        async reloadOutbox() {
            state.events = (await db.getAll("outbox")).sort((a, b) => a.seq - b.seq);
            state.batches = await db.getAll("batches");
        },

        fail(error) {
            if (error instanceof TypeError) {
                state.error = "No connection to the server: try again when online.";
            } else if (
                error.data &&
                (error.data.name || "").endsWith("SessionExpiredException")
            ) {
                state.sessionExpired = true;
                state.error = "Your session has expired: log in again (nothing recorded is lost).";
            } else {
                state.error = error.message || String(error);
            }
        },

        // Enrolment --------------------------------------------------------

        async enrol(name) {
            state.error = "";
            try {
                const keys = await generateDeviceKey();
                const publicKey = await exportPublicKey(keys.publicKey);
                const answer = await rpc("/ppm/api/enrol", { name, public_key: publicKey });
                await db.setMeta("device", {
                    id: answer.device_id,
                    name: answer.name || name,
                    privateKey: keys.privateKey,
                    publicKey: keys.publicKey,
                    publicKeySpki: publicKey,
                });
                await db.setMeta("chain", { seq: 0, last_hash: "" });
                state.device = { id: answer.device_id, name: answer.name || name };
                state.message = `Device "${state.device.name}" enrolled.`;
            } catch (error) {
                store.fail(error);
            }
        },

        /** The device's signing key (a CryptoKey JavaScript cannot export). */
        async deviceKey() {
            const device = await db.getMeta("device");
            return device && device.privateKey;
        },

        // Download ---------------------------------------------------------

        async download() {
            state.error = "";
            try {
                const answer = await rpc("/ppm/api/download", { device_id: state.device.id });
                const digest = await sha256Hex(canonicalJson(answer.payments));
                if (digest !== answer.digest) {
                    throw new Error(
                        "The download is corrupted (digest mismatch): nothing was changed."
                    );
                }
                await db.transaction(["meta", "floats", "payments"], "readwrite", (s) => {
                    s.floats.clear();
                    s.payments.clear();
                    for (const float of answer.floats) {
                        s.floats.put(float);
                    }
                    for (const payment of answer.payments) {
                        s.payments.put(payment);
                    }
                    const now = new Date().toISOString();
                    s.meta.put({ key: "manager", value: answer.manager });
                    s.meta.put({ key: "digest", value: answer.digest });
                    s.meta.put({ key: "downloaded_at", value: now });
                });
                await store.load();
                state.message = `${answer.payments.length} payments downloaded.`;
            } catch (error) {
                store.fail(error);
            }
        },

        // Reading ----------------------------------------------------------

        search(text) {
            const needle = (text || "").trim().toLowerCase();
            if (!needle) {
                return state.payments;
            }
            return state.payments.filter(
                (p) =>
                    (p.partner_name || "").toLowerCase().includes(needle) ||
                    (p.registrant_id || "").toLowerCase().includes(needle) ||
                    (p.reference || "").toLowerCase().includes(needle)
            );
        },

        /** Events this device recorded for a payment and still stands by. */
        localEvents(paymentId) {
            return state.events.filter((e) => e.payment_id === paymentId);
        },

        floatOf(payment) {
            return state.floats.find((f) => f.id === payment.float_id);
        },

        decimals(float) {
            return decimalsOf(float.amount_issued);
        },

        /**
         * The cash left in a float: the server's figure at the last download
         * (issued less the lines it accepted or holds for acceptance) less what
         * this device handed out that the figure does not count yet: events
         * not answered, and events accepted since that download.
         */
        floatLeftMinor(float) {
            const decimals = store.decimals(float);
            let left = toMinor(float.amount_left, decimals);
            const paymentIds = new Set(
                state.payments.filter((p) => p.float_id === float.id).map((p) => p.payment_id)
            );
            for (const event of state.events) {
                if (!paymentIds.has(event.payment_id)) {
                    continue;
                }
                const counted =
                    event.verdict === "accepted" &&
                    state.downloadedAt &&
                    event.answered_at <= state.downloadedAt;
                if (!event.verdict || (event.verdict === "accepted" && !counted)) {
                    left -= toMinor(event.amount, decimals);
                }
            }
            return left;
        },

        floatLeft(float) {
            return fromMinor(store.floatLeftMinor(float), store.decimals(float));
        },

        // Paying (works offline) -----------------------------------------

        /**
         * Record the cash handed over for ``payment``. Refuses: an amount that
         * is not positive, above the payment or above the float left; a
         * second payment of the same beneficiary unless ``override`` (then the
         * event goes to the server, whose double-entry rule answers it).
         */
        async pay(payment, { amount, photoFile, notes = "", override = false }) {
            const float = store.floatOf(payment);
            if (!float) {
                throw new Error("This payment has no float on this device: download again.");
            }
            const decimals = store.decimals(float);
            const minor = toMinor(amount, decimals);
            if (minor <= 0n) {
                throw new Error("The amount must be more than zero.");
            }
            if (minor > toMinor(payment.amount, decimals)) {
                throw new Error(`More than the ${payment.amount} issued to this beneficiary.`);
            }
            if (minor > store.floatLeftMinor(float)) {
                throw new Error(
                    `Only ${store.floatLeft(float)} ${float.currency} left in the float.`
                );
            }
            if (store.localEvents(payment.payment_id).length) {
                if (!override) {
                    throw new AlreadyPaidError(payment);
                }
                if (!notes.trim()) {
                    throw new Error("Paying again: write why in the notes.");
                }
            }
            if (!photoFile) {
                throw new Error("Take a photo of the beneficiary receiving the cash.");
            }
            const photo = await preparePhoto(photoFile);
            const position = await currentPosition();
            const device = await db.getMeta("device");
            // One event at a time per device: the chain has no gap, no fork.
            return navigator.locks.request("spp-ppm-chain", async () => {
                const chain = await db.getMeta("chain", { seq: 0, last_hash: "" });
                const event = {
                    client_uuid: uuid4(),
                    seq: chain.seq + 1,
                    payment_id: payment.payment_id,
                    amount: fromMinor(minor, decimals),
                    paid_at: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
                    latitude: position.error ? null : position.latitude,
                    longitude: position.error ? null : position.longitude,
                    accuracy: position.error ? null : position.accuracy,
                    photo_sha256: photo.sha256,
                    notes,
                    extra: {
                        override: Boolean(override),
                        gps_error: position.error || "",
                        photo_px: `${photo.width}x${photo.height}`,
                    },
                    prev_hash: chain.last_hash,
                };
                const message = eventMessage(event);
                event.signature = await sign(device.privateKey, message);
                const hash = await sha256Hex(message);
                const record = {
                    ...event,
                    photo: photo.base64,
                    recorded_at: new Date().toISOString(),
                    partner_name: payment.partner_name,
                    registrant_id: payment.registrant_id,
                    batch_uuid: null,
                    verdict: null,
                    reason: "",
                    settled: false,
                };
                await db.transaction(["meta", "outbox"], "readwrite", (s) => {
                    s.outbox.put(record);
                    s.meta.put({ key: "chain", value: { seq: event.seq, last_hash: hash } });
                });
                await store.reloadOutbox();
                state.message = `Paid ${record.amount} ${float.currency} to ${payment.partner_name}.`;
                return record;
            });
        },

        // Sync -------------------------------------------------------------

        pendingEvents() {
            return state.events.filter((e) => !e.batch_uuid && !e.settled);
        },

        unsettledBatches() {
            return state.batches.filter((b) => !b.settled);
        },

        needsSync() {
            return Boolean(store.pendingEvents().length || store.unsettledBatches().length);
        },

        async sync() {
            if (!state.device || state.syncing) {
                return;
            }
            state.error = "";
            state.syncing = true;
            try {
                // One tab syncs at a time.
                await navigator.locks.request("spp-ppm-sync", () => store._sync());
                state.lastSync = new Date().toISOString();
                await db.setMeta("last_sync", state.lastSync);
                // The floats and payments as the server now sees them.
                await store.download();
                if (!state.error) {
                    state.message = "Synchronised.";
                }
            } catch (error) {
                store.fail(error);
            } finally {
                state.syncing = false;
                await store.reloadOutbox();
            }
        },

        async _sync() {
            // From the database, not the reactive state (proxies cannot be
            // stored). First the batches sent before: their answer, or fate.
            const batches = (await db.getAll("batches")).filter((b) => !b.settled);
            for (const batch of batches) {
                await store._sendBatch(batch);
            }
            const pending = (await db.getAll("outbox"))
                .filter((e) => !e.batch_uuid && !e.settled)
                .sort((a, b) => a.seq - b.seq);
            for (let i = 0; i < pending.length; i += SYNC_CHUNK) {
                const chunk = pending.slice(i, i + SYNC_CHUNK);
                const batch = {
                    batch_uuid: uuid4(),
                    client_uuids: chunk.map((e) => e.client_uuid),
                    created_at: new Date().toISOString(),
                    server: null,
                    settled: false,
                };
                // The batch and its events are written before anything is sent:
                // a lost answer is asked again under the same batch UUID.
                await db.transaction(["outbox", "batches"], "readwrite", (s) => {
                    s.batches.put(batch);
                    for (const event of chunk) {
                        s.outbox.put({ ...event, batch_uuid: batch.batch_uuid });
                    }
                });
                await store._sendBatch(batch);
            }
        },

        async _sendBatch(batch) {
            const events = [];
            for (const clientUuid of batch.client_uuids) {
                const event = await db.get("outbox", clientUuid);
                if (event) {
                    events.push(event);
                }
            }
            const payload = events.map((e) => ({
                client_uuid: e.client_uuid,
                seq: e.seq,
                payment_id: e.payment_id,
                amount: e.amount,
                paid_at: e.paid_at,
                latitude: e.latitude,
                longitude: e.longitude,
                accuracy: e.accuracy,
                photo_sha256: e.photo_sha256,
                photo: e.photo,
                notes: e.notes,
                extra: e.extra,
                prev_hash: e.prev_hash,
                signature: e.signature,
            }));
            const answer = await rpc("/ppm/api/sync", {
                device_id: state.device.id,
                batch_uuid: batch.batch_uuid,
                device_time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
                events: payload,
            });
            await store._applyAnswer(batch, events, answer);
        },

        async _applyAnswer(batch, events, answer) {
            const serverBatch = answer.batch || {};
            const batchState = serverBatch.state || "";
            const verdicts = Object.fromEntries(
                (answer.results || []).map((r) => [r.client_uuid, r])
            );
            const rejected = REJECTED.has(batchState);
            const settled = SETTLED.has(batchState);
            await db.transaction(["outbox", "batches"], "readwrite", (s) => {
                for (const event of events) {
                    const result = verdicts[event.client_uuid];
                    const updated = { ...event };
                    if (rejected) {
                        // The batch was rejected: the same signed events go
                        // again under a new batch UUID.
                        Object.assign(updated, {
                            batch_uuid: null,
                            verdict: null,
                            answered_at: null,
                            reason: "batch rejected: sent again",
                            previous_batches: [...(event.previous_batches || []), batch.batch_uuid],
                        });
                    } else if (result) {
                        Object.assign(updated, {
                            verdict: result.verdict,
                            reason: result.reason || "",
                            line_id: result.line_id,
                            batch_name: serverBatch.name,
                            batch_state: batchState,
                            answered_at: event.answered_at || new Date().toISOString(),
                        });
                        if (settled) {
                            // Decided on the server: the photo is there now.
                            Object.assign(updated, { settled: true, photo: null });
                        }
                    }
                    s.outbox.put(updated);
                }
                s.batches.put({
                    ...batch,
                    server: serverBatch,
                    answered_at: new Date().toISOString(),
                    settled: settled || rejected,
                    rejected,
                });
            });
        },
    };
    return store;
}
