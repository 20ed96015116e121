// Copyright 2026 SPP Payments contributors
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
// Money as integers of the currency's smallest unit (BigInt): never floats.

export function decimalsOf(amount) {
    const dot = String(amount).indexOf(".");
    return dot < 0 ? 0 : String(amount).length - dot - 1;
}

/** "150.00" (2 decimals) -> 15000n; refuses anything but a plain decimal. */
export function toMinor(amount, decimals) {
    const text = String(amount).trim();
    const match = /^(\d+)(?:[.,](\d*))?$/.exec(text);
    if (!match) {
        throw new Error(`Not an amount: "${text}"`);
    }
    const fraction = match[2] || "";
    if (fraction.length > decimals) {
        throw new Error(`At most ${decimals} decimals: "${text}"`);
    }
    return BigInt(match[1] + fraction.padEnd(decimals, "0"));
}

/** 15000n, 2 -> "150.00" */
export function fromMinor(minor, decimals) {
    const negative = minor < 0n;
    const digits = (negative ? -minor : minor).toString().padStart(decimals + 1, "0");
    const whole = decimals ? digits.slice(0, -decimals) : digits;
    const fraction = decimals ? "." + digits.slice(-decimals) : "";
    return (negative ? "-" : "") + whole + fraction;
}
