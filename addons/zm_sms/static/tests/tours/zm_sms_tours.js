/** @odoo-module */

import { registry } from "@web/core/registry";

// Started by tests/test_ui.py. The clerk looks at an account's SMS from its form; the
// manager sends a failed one again from the SMS log.

registry.category("web_tour.tours").add("zm_sms_clerk_tour", {
    steps: () => [
        {
            content: "The account's SMS button counts its messages",
            trigger: ".o_form_view .oe_stat_button:contains(SMS) .o_stat_value:contains(1)",
            run: "click",
        },
        {
            content: "The opening SMS, sent",
            trigger: ".o_list_view .o_data_row:contains(Account opened):contains(Sent) td[name=phone]",
            run: "click",
        },
        {
            content: "Its wording, as the subscriber got it",
            trigger: ".o_form_view .o_field_widget[name=body]:contains(Account tour-sms-ok is open until)",
        },
        {
            content: "A clerk cannot send it again",
            trigger: ".o_form_view .o_statusbar_status:not(:has(button:contains(Send Again)))",
        },
    ],
});

registry.category("web_tour.tours").add("zm_sms_manager_tour", {
    steps: () => [
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Only the failed ones",
            trigger: ".o_filter_menu .o_menu_item:contains(Failed)",
            run: "click",
        },
        {
            content: "The filter is on",
            trigger: ".o_searchview_facet:contains(Failed)",
        },
        {
            content: "Close the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "The failed message (wrong keys)",
            trigger: ".o_list_view .o_data_row:contains(AuthFailure.SignatureFailure) td[name=phone]",
            run: "click",
        },
        {
            content: "Send it again",
            trigger: ".o_form_view .o_statusbar_buttons button:contains(Send Again)",
            run: "click",
        },
        {
            content: "The subscriber may get it twice: confirm",
            trigger: ".modal .modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "Queued again",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Queued)",
        },
    ],
});
