/** @odoo-module **/
// Copyright 2026 SPP Payments contributors
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {Component, onWillStart, useState} from "@odoo/owl";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";

const FILTER_KEYS = ["program_id", "cycle_id", "fsp_id", "area_id", "channel"];

export class SppPaymentDashboard extends Component {
    static template = "spp_payment_dashboard.Dashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({data: null, filters: {}, loading: true});
        onWillStart(() => this.load());
    }

    async load() {
        this.state.loading = true;
        this.state.data = await this.orm.call(
            "spp.payment.dashboard",
            "get_dashboard_data",
            [],
            {filters: this.state.filters}
        );
        this.state.loading = false;
    }

    onFilter(key, ev) {
        const raw = ev.target.value;
        if (!raw) {
            delete this.state.filters[key];
        } else if (FILTER_KEYS.includes(key) && key !== "channel") {
            this.state.filters[key] = parseInt(raw, 10);
        } else {
            this.state.filters[key] = raw;
        }
        this.load();
    }

    open(target) {
        // The same domain the figure was counted on: the list shows what was counted.
        this.action.doAction({
            type: "ir.actions.act_window",
            name: target.name,
            res_model: target.res_model,
            domain: target.domain,
            views: [
                [false, "list"],
                [false, "form"],
            ],
            target: "current",
        });
    }

    trendMax() {
        const trend = this.state.data.trend;
        return Math.max(1, ...trend.map((c) => c.issued));
    }

    barHeight(value) {
        return Math.round((100 * value) / this.trendMax());
    }
}

registry.category("actions").add("spp_payment_dashboard", SppPaymentDashboard);
