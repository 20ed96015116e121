// Copyright 2026 SPP Payments contributors
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import { Component, onMounted, onWillUnmount, useRef, useState } from "@odoo/owl";
import { AlreadyPaidError } from "./store";

const VERDICT_CLASS = {
    accepted: "text-bg-success",
    duplicate: "text-bg-secondary",
    exception: "text-bg-warning",
    refused: "text-bg-danger",
};

export class PaymentForm extends Component {
    static template = "spp_ppm_app.PaymentForm";
    static props = { store: Object, payment: Object, close: Function };

    setup() {
        this.photoInput = useRef("photo");
        this.state = useState(this.props.store.state);
        this.form = useState({
            amount: this.props.payment.amount,
            notes: "",
            identityChecked: false,
            needsOverride: false,
            busy: false,
            error: "",
        });
    }

    get float() {
        return this.props.store.floatOf(this.props.payment);
    }

    get localEvents() {
        return this.props.store.localEvents(this.props.payment.payment_id);
    }

    async pay(override = false) {
        const form = this.form;
        form.error = "";
        if (!form.identityChecked) {
            form.error = "Confirm the beneficiary's identity first.";
            return;
        }
        form.busy = true;
        try {
            await this.props.store.pay(this.props.payment, {
                amount: form.amount,
                notes: form.notes,
                photoFile: this.photoInput.el.files[0],
                override,
            });
            this.props.close();
        } catch (error) {
            if (error instanceof AlreadyPaidError) {
                form.needsOverride = true;
                form.error = error.message;
            } else {
                form.error = error.message || String(error);
            }
        } finally {
            form.busy = false;
        }
    }
}

export class PpmApp extends Component {
    static template = "spp_ppm_app.PpmApp";
    static components = { PaymentForm };
    static props = { store: Object };

    setup() {
        // Subscribes this component to the store's state (changed by sync,
        // the service worker's answer, online/offline events).
        this.state = useState(this.props.store.state);
        this.ui = useState({ search: "", selected: null, deviceName: "", tab: "pay" });
        const update = () => {
            this.state.online = navigator.onLine;
        };
        onMounted(() => {
            window.addEventListener("online", update);
            window.addEventListener("offline", update);
        });
        onWillUnmount(() => {
            window.removeEventListener("online", update);
            window.removeEventListener("offline", update);
        });
    }

    get store() {
        return this.props.store;
    }

    get payments() {
        return this.store.search(this.ui.search);
    }

    verdictClass(verdict) {
        return VERDICT_CLASS[verdict] || "text-bg-light";
    }

    statusOf(payment) {
        const events = this.store.localEvents(payment.payment_id);
        if (!events.length) {
            return "";
        }
        const last = events[events.length - 1];
        return last.verdict || (last.batch_uuid ? "sent" : "paid offline");
    }

    enrol() {
        const name = this.ui.deviceName.trim() || navigator.userAgent.slice(0, 60);
        return this.store.enrol(name);
    }

    select(payment) {
        this.ui.selected = payment;
    }

    close() {
        this.ui.selected = null;
    }
}
