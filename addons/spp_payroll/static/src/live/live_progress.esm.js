/* Copyright 2026 SPP Payments contributors
   License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
import {Component, onWillDestroy} from "@odoo/owl";
import {ProgressBarField, progressBarField} from "@web/views/fields/progress_bar/progress_bar_field";
import {registry} from "@web/core/registry";
import {standardFieldProps} from "@web/views/fields/standard_field_props";
import {useService} from "@web/core/utils/hooks";

// Long work (a payroll's run, an audit export) tells the users who may read it
// through Odoo's bus, at most every few seconds ("spp.progress", with the
// model and ids, no figures): a form showing one of those records reloads it,
// unless the user is editing it. Figures are read again through the ORM, with
// the user's own rights.
export function useLiveReload(record) {
    const bus = useService("bus_service");
    const onProgress = ({model, ids}) => {
        if (model === record.resModel && ids.includes(record.resId) && !record.dirty) {
            record.load();
        }
    };
    bus.subscribe("spp.progress", onProgress);
    bus.start();
    onWillDestroy(() => bus.unsubscribe("spp.progress", onProgress));
}

export class LiveProgressBarField extends ProgressBarField {
    setup() {
        super.setup();
        useLiveReload(this.props.record);
    }
}

registry.category("fields").add("spp_live_progressbar", {
    ...progressBarField,
    component: LiveProgressBarField,
});

// The payroll's progress: its last run (chunks done) and its payments by
// outcome, counted in the form's one pass over them.
export class PayrollProgressField extends Component {
    static template = "spp_payroll.PayrollProgressField";
    static props = {...standardFieldProps};

    setup() {
        useLiveReload(this.props.record);
    }

    get info() {
        return this.props.record.data[this.props.name] || {};
    }
}

registry.category("fields").add("spp_payroll_progress", {
    component: PayrollProgressField,
    supportedTypes: ["json"],
});
