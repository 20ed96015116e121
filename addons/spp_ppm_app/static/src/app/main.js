// Copyright 2026 SPP Payments contributors
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
// Starts the PPM app: its own service worker (scope /ppm) and OWL root; syncs
// when the device comes online, on a timer, and from the Sync button.
import { App, whenReady } from "@odoo/owl";
import { getTemplate } from "@web/core/templates";
import { PpmApp } from "./ppm_app";
import { SYNC_EVERY_MS, createStore } from "./store";

async function registerServiceWorker(info, state) {
    if (!("serviceWorker" in navigator)) {
        return;
    }
    try {
        await navigator.serviceWorker.register(info.service_worker, { scope: info.scope });
        const registration = await navigator.serviceWorker.ready;
        if (!navigator.onLine || !registration.active) {
            // Opened offline: the shell came from the cache, so it is there.
            state.offlineReady = Boolean(registration.active);
            return;
        }
        const channel = new MessageChannel();
        const answered = new Promise((resolve) => (channel.port1.onmessage = (ev) => resolve(ev.data)));
        registration.active.postMessage({ urlsToCache: info.urls_to_cache }, [channel.port2]);
        const { failed } = await answered;
        if (failed.length) {
            console.warn("PPM app: not cached for offline use", failed);
        }
        state.offlineReady = !failed.length;
    } catch (error) {
        console.warn("PPM app: no service worker", error);
    }
}

async function start() {
    await whenReady();
    const info = odoo.__ppm_info__;
    const store = createStore(info);
    await store.load();
    if (navigator.storage && navigator.storage.persist) {
        navigator.storage.persist();
    }
    const app = new App(PpmApp, {
        getTemplate,
        props: { store },
        env: {},
        name: "PPM",
        dev: false,
    });
    await app.mount(document.body);
    registerServiceWorker(info, store.state);
    const syncIfNeeded = () => {
        if (navigator.onLine && store.state.device && store.needsSync()) {
            store.sync();
        }
    };
    window.addEventListener("online", syncIfNeeded);
    setInterval(syncIfNeeded, SYNC_EVERY_MS);
    window.__ppm_store__ = store;
}

start();
