// Copyright 2026 SPP Payments contributors
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
// The app's own IndexedDB (not web's indexed_db.js, which drops the whole
// database when its version string changes, and writes with relaxed
// durability). Stores:
//   meta      key/value: device (with its non-extractable CryptoKey), chain
//             (seq, last hash), manager, download digest and date
//   floats    the floats downloaded, by id
//   payments  the payments downloaded, by payment_id
//   outbox    every payment event recorded, by client_uuid; an event leaves
//             it only once the server settled it (its batch approved)
//   batches   the sync batches sent, by batch_uuid

const DB_NAME = "spp_ppm_app";
const DB_VERSION = 1;
const STORES = {
    meta: { keyPath: "key" },
    floats: { keyPath: "id" },
    payments: { keyPath: "payment_id" },
    outbox: { keyPath: "client_uuid" },
    batches: { keyPath: "batch_uuid" },
};

let dbPromise = null;

function promisify(request) {
    return new Promise((resolve, reject) => {
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
}

export function openDb() {
    if (!dbPromise) {
        dbPromise = new Promise((resolve, reject) => {
            const request = indexedDB.open(DB_NAME, DB_VERSION);
            request.onupgradeneeded = () => {
                const db = request.result;
                for (const [name, options] of Object.entries(STORES)) {
                    if (!db.objectStoreNames.contains(name)) {
                        db.createObjectStore(name, options);
                    }
                }
            };
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
            request.onblocked = () => reject(new Error("The app's database is blocked"));
        });
    }
    return dbPromise;
}

/**
 * Run ``fn(stores)`` in one transaction over ``names`` and resolve once the
 * transaction is committed (durability "strict": a payment recorded is on disk).
 */
export async function transaction(names, mode, fn) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
        const tx = db.transaction(names, mode, { durability: "strict" });
        const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
        let result;
        Promise.resolve(fn(stores)).then(
            (value) => (result = value),
            (error) => {
                tx.abort();
                reject(error);
            }
        );
        tx.oncomplete = () => resolve(result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error || new Error("Transaction aborted"));
    });
}

export async function getAll(name) {
    return transaction([name], "readonly", (s) => promisify(s[name].getAll()));
}

export async function get(name, key) {
    return transaction([name], "readonly", (s) => promisify(s[name].get(key)));
}

export async function put(name, value) {
    return transaction([name], "readwrite", (s) => promisify(s[name].put(value)));
}

export async function getMeta(key, fallback = null) {
    const row = await get("meta", key);
    return row ? row.value : fallback;
}

export async function setMeta(key, value) {
    return put("meta", { key, value });
}

export { promisify };
