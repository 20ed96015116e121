// @odoo-module ignore
// Copyright 2026 SPP Payments contributors
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
/* eslint-disable no-restricted-globals */
/* eslint-disable no-undef */
// The PPM app's service worker (scope /ppm), after point_of_sale's: network
// first, the cache when offline. The page sends the content-hashed links of its
// bundle to precache. The API (/ppm/api/*) is never cached: payments only go
// through IndexedDB and the sync.

const CACHE = "spp-ppm-app-v1";

function cacheable(request) {
    const url = new URL(request.url);
    return (
        request.method === "GET" &&
        url.origin === self.location.origin &&
        !url.pathname.startsWith("/ppm/api/") &&
        !url.pathname.startsWith("/web/dataset")
    );
}

async function networkFirst(request) {
    const cache = await caches.open(CACHE);
    try {
        const response = await fetch(request);
        // Never keep a redirect (to the login page) or an error under the URL.
        if (response.ok && response.type === "basic" && !response.redirected) {
            await cache.put(request, response.clone());
        }
        return response;
    } catch (error) {
        const cached = await cache.match(request, { ignoreVary: true });
        if (cached) {
            return cached;
        }
        // The app opened offline with a query string (?debug=...): its shell.
        if (request.mode === "navigate") {
            const shell = await cache.match("/ppm", { ignoreSearch: true });
            if (shell) {
                return shell;
            }
        }
        throw error;
    }
}

async function precache(urls) {
    const cache = await caches.open(CACHE);
    const failed = [];
    await Promise.all(
        urls.map(async (url) => {
            try {
                const response = await fetch(url, { credentials: "same-origin" });
                if (!response.ok || response.redirected) {
                    throw new Error(`${response.status}`);
                }
                await cache.put(url, response);
            } catch (error) {
                failed.push(`${url}: ${error}`);
            }
        })
    );
    return failed;
}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
    if (cacheable(event.request)) {
        event.respondWith(networkFirst(event.request));
    }
});

self.addEventListener("message", (event) => {
    const data = event.data || {};
    if (data.urlsToCache) {
        const port = event.ports && event.ports[0];
        event.waitUntil(
            precache(data.urlsToCache).then((failed) => {
                if (port) {
                    port.postMessage({ cached: data.urlsToCache.length, failed });
                }
            })
        );
    }
});
