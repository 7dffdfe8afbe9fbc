/** @odoo-module */

import { registry } from "@web/core/registry";

// Started by tests/test_ui.py on the form of the account it made ("tour-rad-mine"), as a
// clerk of that account's area: its online session, unbinding it, its login log.
registry.category("web_tour.tours").add("zm_radius_operator_tour", {
    steps: () => [
        {
            content: "The account says it is online once",
            trigger: ".o_form_view .oe_stat_button:contains(Online) .o_stat_value:contains(1)",
            run: "click",
        },
        {
            content: "Its session: the address the NAS gave it",
            trigger: ".o_list_view .o_data_row td:contains(100.64.1.1)",
        },
        {
            content: "Nobody of the other area is listed",
            trigger: ".o_list_view:not(:has(td:contains(100.64.2.2)))",
        },
        {
            content: "Back to the account",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(tour-rad-mine)",
            run: "click",
        },
        {
            content: "The MAC it was bound to at its first dial",
            trigger: ".o_form_view .o_field_widget[name=dial_mac]:contains(aabbcc000001)",
        },
        {
            content: "Unbind",
            trigger: ".o_form_view button[name=action_unbind]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Nothing is bound any more",
            trigger: ".o_form_view:not(:has(button[name=action_unbind]))",
        },
        {
            content: "The login log",
            trigger: ".o_main_navbar .o_menu_sections button:contains(RADIUS), .o_main_navbar .o_menu_sections a:contains(RADIUS)",
            run: "click",
        },
        {
            content: "Login Log",
            trigger: ".dropdown-menu .dropdown-item:contains(Login Log)",
            run: "click",
        },
        {
            content: "Why the account was refused",
            trigger: ".o_list_view .o_data_row:has(td:contains(tour-rad-mine)) td:contains(bad password)",
        },
        {
            content: "The other area's refusals are not shown",
            trigger: ".o_list_view:not(:has(td:contains(tour-rad-theirs)))",
        },
    ],
});
