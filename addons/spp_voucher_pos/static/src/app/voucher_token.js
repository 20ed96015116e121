// Copyright 2026 SPP Payments contributors
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
/**
 * The signed voucher token of spp_voucher (readme/DEVELOP.md), verified in the
 * browser with WebCrypto Ed25519: `<payload>.<signature>`, both base64url,
 * the payload compact JSON {a, c, e, i, k, s, v}.
 */

export class VoucherTokenError extends Error {}

export function b64urlToBytes(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) {
        bytes[i] = binary.charCodeAt(i);
    }
    return bytes;
}

/** A token has a dot; a typed code is 10 Crockford base32 characters. */
export function isToken(text) {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text);
}

export function isTypedCode(text) {
    return /^[0-9A-HJKMNP-TV-Z]{5}-?[0-9A-HJKMNP-TV-Z]{5}$/i.test(text);
}

export function parseToken(token) {
    if (!isToken(token)) {
        throw new VoucherTokenError("malformed");
    }
    const [payloadText, signatureText] = token.split(".");
    let payload;
    let raw;
    try {
        raw = b64urlToBytes(payloadText);
        payload = JSON.parse(new TextDecoder().decode(raw));
    } catch {
        throw new VoucherTokenError("malformed");
    }
    if (payload.v !== 1 || !payload.i || !payload.k || !payload.a || !payload.e) {
        throw new VoucherTokenError("malformed");
    }
    return { payload, raw, signature: b64urlToBytes(signatureText) };
}

/**
 * The payload of a token signed by one of `keys` ([{kid, public_key}]);
 * throws VoucherTokenError("malformed" | "unknown key" | "bad signature" |
 * "no crypto").
 */
export async function verifyToken(token, keys) {
    const { payload, raw, signature } = parseToken(token);
    const key = (keys || []).find((k) => k.kid === payload.k);
    if (!key) {
        throw new VoucherTokenError("unknown key");
    }
    if (!globalThis.crypto?.subtle) {
        // Only secure contexts (https, localhost) have WebCrypto.
        throw new VoucherTokenError("no crypto");
    }
    let ok = false;
    try {
        const publicKey = await crypto.subtle.importKey(
            "raw",
            b64urlToBytes(key.public_key),
            { name: "Ed25519" },
            false,
            ["verify"]
        );
        ok = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, signature, raw);
    } catch {
        ok = false;
    }
    if (!ok) {
        throw new VoucherTokenError("bad signature");
    }
    return payload;
}
