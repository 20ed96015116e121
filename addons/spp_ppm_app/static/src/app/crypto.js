// Copyright 2026 SPP Payments contributors
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
// WebCrypto helpers of the PPM app: the device key, signed events, digests.

const encoder = new TextEncoder();

export function toHex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function toBase64(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
        binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
}

export async function sha256Hex(data) {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

/** A P-256 signing key whose private half JavaScript can never read. */
export async function generateDeviceKey() {
    return crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
        "sign",
        "verify",
    ]);
}

export async function exportPublicKey(publicKey) {
    return toBase64(await crypto.subtle.exportKey("spki", publicKey));
}

/** The 64-byte r||s signature of ``message``, base64. */
export async function sign(privateKey, message) {
    const signature = await crypto.subtle.sign(
        { name: "ECDSA", hash: "SHA-256" },
        privateKey,
        encoder.encode(message)
    );
    return toBase64(signature);
}

function sortKeys(value) {
    if (Array.isArray(value)) {
        return value.map(sortKeys);
    }
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map((key) => [key, sortKeys(value[key])])
        );
    }
    return value;
}

/**
 * The canonical JSON the server digests (spp_payment_core.ppm.canonical_json):
 * Python's ``json.dumps(value, sort_keys=True, separators=(",", ":"),
 * ensure_ascii=False)``, i.e. ``JSON.stringify`` with every object's keys
 * sorted; the digest is over its UTF-8 bytes.
 */
export function canonicalJson(value) {
    return JSON.stringify(sortKeys(value));
}

/** The signed message of an event (see readme/DEVELOP.md). */
export function eventMessage(event) {
    const num = (x) => (x === null || x === undefined ? "" : String(x));
    return [
        event.client_uuid,
        String(event.seq),
        String(event.payment_id),
        event.amount,
        event.paid_at,
        num(event.latitude),
        num(event.longitude),
        num(event.accuracy),
        event.photo_sha256 || "",
        event.prev_hash || "",
    ].join("|");
}

export function uuid4() {
    return crypto.randomUUID();
}
