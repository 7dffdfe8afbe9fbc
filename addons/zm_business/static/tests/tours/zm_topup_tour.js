/** @odoo-module */

import { registry } from "@web/core/registry";

// Started by tests/test_ui.py on the form of the account it made ("tour-topup-account").
registry.category("web_tour.tours").add("zm_business_topup_tour", {
    steps: () => [
        {
            content: "The account starts with nothing on its balance",
            trigger: ".o_form_view .o_field_widget[name=balance]:contains(0.00)",
        },
        {
            content: "Top up",
            trigger: ".o_form_view .o_statusbar_buttons button:contains(Top Up)",
            run: "click",
        },
        {
            content: "Amount",
            trigger: ".modal .o_field_widget[name=amount] input",
            run: "edit 75",
        },
        {
            content: "Paid with WeChat Pay",
            trigger: ".modal .o_field_widget[name=payment_method] label:contains(WeChat Pay)",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The wizard opens the top-up order it wrote",
            trigger: ".o_form_view .o_field_widget[name=kind]:contains(Top-up)",
        },
        {
            content: "Back to the account",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(tour-topup-account)",
            run: "click",
        },
        {
            content: "The balance now shows the top-up",
            trigger: ".o_form_view .o_field_widget[name=balance]:contains(75.00)",
        },
    ],
});
