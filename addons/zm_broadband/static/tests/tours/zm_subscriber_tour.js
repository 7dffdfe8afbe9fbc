/** @odoo-module */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// Records named "Tour ..." / "tour-..." are made by tests/test_ui.py, not demo data.
registry.category("web_tour.tours").add("zm_broadband_subscriber_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("zm_broadband.menu_zm_root", "Open Broadband"),
        {
            content: "Create a subscriber",
            trigger: ".o_control_panel_main_buttons .o_list_button_add",
            run: "click",
        },
        {
            content: "Account name",
            trigger: ".o_field_widget[name=name] input",
            run: "edit tour-new-account",
        },
        {
            content: "Area",
            trigger: ".o_field_widget[name=area_id] input",
            run: "edit Tour Area Zeta",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Tour Area Zeta)",
            run: "click",
        },
        {
            content: "Package",
            trigger: ".o_field_widget[name=package_id] input",
            run: "edit Tour Package Zeta",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Tour Package Zeta)",
            run: "click",
        },
        ...stepUtils.saveForm(),
        {
            content: "The saved form shows the new account",
            trigger: ".o_breadcrumb .active:contains(tour-new-account)",
        },
        {
            content: "Back to the list",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Subscribers)",
            run: "click",
        },
        {
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Filter on the Expired status",
            trigger: ".o_filter_menu .o-dropdown-item:contains(Expired)",
            run: "click",
        },
        {
            content: "The expired account carries the Expired badge",
            trigger:
                ".o_list_view .o_data_row:contains(tour-expired-account) " +
                "td[name=expiry_state] .badge:contains(Expired)",
        },
    ],
});
