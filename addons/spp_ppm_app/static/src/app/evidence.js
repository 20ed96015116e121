// Copyright 2026 SPP Payments contributors
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
// Evidence of a payment handed over: the photo and the position.
import { sha256Hex, toBase64 } from "./crypto";

export const PHOTO_MAX_PX = 1280;

/**
 * The photo downscaled to at most 1280 px on its long side, re-encoded as
 * JPEG (which drops EXIF: position and time come from the device, not the
 * file), with its SHA-256: the server stores these exact bytes.
 */
export async function preparePhoto(file) {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const scale = Math.min(1, PHOTO_MAX_PX / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
    bitmap.close();
    const blob = await new Promise((resolve, reject) =>
        canvas.toBlob(
            (b) => (b ? resolve(b) : reject(new Error("The photo could not be encoded"))),
            "image/jpeg",
            0.7
        )
    );
    const bytes = await blob.arrayBuffer();
    return {
        base64: toBase64(bytes),
        sha256: await sha256Hex(bytes),
        width,
        height,
        size: bytes.byteLength,
    };
}

/** The device's position, or an error message: GPS works offline. */
export function currentPosition(timeout = 15000) {
    return new Promise((resolve) => {
        if (!navigator.geolocation) {
            resolve({ error: "This device gives no position" });
            return;
        }
        navigator.geolocation.getCurrentPosition(
            (pos) =>
                resolve({
                    latitude: pos.coords.latitude,
                    longitude: pos.coords.longitude,
                    accuracy: pos.coords.accuracy,
                }),
            (error) => resolve({ error: error.message || "No position" }),
            { enableHighAccuracy: true, timeout, maximumAge: 60000 }
        );
    });
}
