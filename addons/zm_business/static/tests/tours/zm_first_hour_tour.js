/** @odoo-module */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// The first hour of a new ISP, as tests/test_first_hour.py drives it: the manager sets up
// an area, a rate template, a package and a clerk; the clerk then opens an account,
// takes cash and renews it. Every name starting with "FH" is made here.

function menu([top, item]) {
    return [
        {
            content: `Menu ${top}`,
            trigger: `.o_main_navbar .o_menu_sections button:contains(${top}), .o_main_navbar .o_menu_sections a:contains(${top})`,
            run: "click",
        },
        {
            content: `Menu ${top} / ${item}`,
            trigger: `.o-dropdown--menu .dropdown-item:contains(${item})`,
            run: "click",
        },
    ];
}

function chooseRole(category, role) {
    return {
        content: `${category}: ${role}`,
        trigger: `.o_form_view label:contains(${category})`,
        run() {
            // a category with a description carries a "?" tooltip after its name
            const found = [...document.querySelectorAll(".o_form_view label")].find(
                (node) => node.textContent.replace("?", "").trim() === category
            );
            const select = document.getElementById(found.htmlFor);
            const option = [...select.options].find((opt) => opt.textContent.trim() === role);
            select.value = option.value;
            select.dispatchEvent(new Event("change", { bubbles: true }));
        },
    };
}

function checkGroup(label) {
    return {
        content: `Give the right: ${label}`,
        trigger: `.o_form_view label:contains(${label})`,
        run() {
            // Odoo shows a group as "Category / Name"
            const found = [...document.querySelectorAll(".o_form_view label")].find((node) =>
                node.textContent.trim().endsWith(`/ ${label}`)
            );
            const input = document.getElementById(found.htmlFor);
            if (!input.checked) {
                input.click();
            }
        },
    };
}

registry.category("web_tour.tours").add("zm_first_hour_manager", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("zm_broadband.menu_zm_root", "Open Broadband"),
        ...menu(["Configuration", "Areas"]),
        { trigger: ".o_list_button_add", run: "click" },
        { trigger: ".o_field_widget[name=name] input", run: "edit FH Riverside" },
        { trigger: ".o_field_widget[name=code] input", run: "edit FH-R" },
        ...stepUtils.saveForm(),
        ...menu(["Catalogue", "Rate Templates"]),
        { trigger: ".o_list_button_add", run: "click" },
        { trigger: ".o_field_widget[name=name] input", run: "edit FH 50M" },
        { trigger: ".o_field_widget[name=up_kbps] input", run: "edit 10240" },
        { trigger: ".o_field_widget[name=down_kbps] input", run: "edit 51200" },
        ...stepUtils.saveForm(),
        ...menu(["Catalogue", "Packages"]),
        { trigger: ".o_list_button_add", run: "click" },
        { trigger: ".o_field_widget[name=name] input", run: "edit FH Monthly 50M" },
        { trigger: ".o_field_widget[name=price] input", run: "edit 50" },
        { trigger: ".o_field_widget[name=rate_template_id] input", run: "edit FH 50M" },
        { trigger: ".o-autocomplete--dropdown-item a:contains(FH 50M)", run: "click" },
        ...stepUtils.saveForm(),
        {
            content: "The package is saved with its rate",
            trigger: ".o_breadcrumb .active:contains(FH Monthly 50M)",
        },
        // the clerk: a user of the Broadband operator role in the new area
        { trigger: ".o_main_navbar .o_menu_toggle, .o_navbar_apps_menu button", run: "click" },
        { trigger: ".o_app[data-menu-xmlid='base.menu_administration']", run: "click" },
        ...menu(["Users & Companies", "Users"]),
        { trigger: ".o_list_button_add", run: "click" },
        { trigger: ".o_field_widget[name=name] input", run: "edit FH Clerk" },
        { trigger: ".o_field_widget[name=login] input", run: "edit fh.clerk" },
        chooseRole("Broadband", "Operator"),
        // Odoo's default user template makes every new user an Invoicing administrator;
        // a clerk must not see every area's accounting
        chooseRole("Invoicing", ""),
        { trigger: ".o_notebook a:contains(Broadband)", run: "click" },
        checkGroup("Open accounts"),
        checkGroup("Top up"),
        checkGroup("Renew"),
        { trigger: ".o_field_widget[name=zm_area_ids] input", run: "edit FH Riverside" },
        { trigger: ".o-autocomplete--dropdown-item a:contains(FH Riverside)", run: "click" },
        ...stepUtils.saveForm(),
        {
            content: "The clerk is saved",
            trigger: ".o_breadcrumb .active:contains(FH Clerk)",
        },
    ],
});

registry.category("web_tour.tours").add("zm_first_hour_clerk", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("zm_broadband.menu_zm_root", "Open Broadband"),
        {
            content: "New account",
            trigger: ".o_control_panel_main_buttons .o_list_button_add",
            run: "click",
        },
        { trigger: ".o_field_widget[name=name] input", run: "edit fh-0001" },
        { trigger: ".o_field_widget[name=area_id] input", run: "edit FH Riverside" },
        { trigger: ".o-autocomplete--dropdown-item a:contains(FH Riverside)", run: "click" },
        { trigger: ".o_field_widget[name=package_id] input", run: "edit FH Monthly" },
        { trigger: ".o-autocomplete--dropdown-item a:contains(FH Monthly 50M)", run: "click" },
        ...stepUtils.saveForm(),
        {
            content: "A new account is not opened yet",
            trigger: ".o_form_view .o_field_widget[name=expiry_state]:contains(Not opened)",
        },
        {
            content: "Open it",
            trigger: ".o_form_view .o_statusbar_buttons button:contains(Open)",
            run: "click",
        },
        {
            content: "The customer pays 100 in cash",
            trigger: ".modal .o_field_widget[name=amount] input",
            run: "edit 100",
        },
        {
            trigger: ".modal .o_field_widget[name=payment_method] label:contains(Cash)",
            run: "click",
        },
        { trigger: ".modal .modal-footer button[name=action_confirm]", run: "click" },
        {
            content: "The open order is shown",
            trigger: ".o_form_view .o_field_widget[name=kind]:contains(Open)",
        },
        { trigger: ".o_breadcrumb .breadcrumb-item a:contains(fh-0001)", run: "click" },
        {
            content: "Opened: in good standing, the month paid, 50 left",
            trigger: ".o_form_view .o_field_widget[name=expiry_state]:contains(Normal)",
        },
        { trigger: ".o_form_view .o_field_widget[name=balance]:contains(50.00)" },
        {
            content: "Renew: the service hall's everyday job",
            trigger: ".o_form_view .o_statusbar_buttons button:contains(Renew)",
            run: "click",
        },
        { trigger: ".modal .modal-footer button[name=action_confirm]", run: "click" },
        {
            content: "The renewal order is shown",
            trigger: ".o_form_view .o_field_widget[name=kind]:contains(Renewal)",
        },
        { trigger: ".o_breadcrumb .breadcrumb-item a:contains(fh-0001)", run: "click" },
        {
            content: "The balance paid the renewal",
            trigger: ".o_form_view .o_field_widget[name=balance]:contains(0.00)",
        },
        {
            content: "Two orders on the account",
            trigger: ".o_form_view .oe_stat_button:contains(Orders):contains(2)",
        },
    ],
});

registry.category("web_tour.tours").add("zm_settings_pages", {
    url: "/odoo/settings",
    steps: () => [
        {
            content: "The Broadband section of the settings",
            trigger: ".settings_tab .tab[data-key=zm_broadband]",
            run: "click",
        },
        {
            content: "General settings show the Broadband blocks",
            trigger: "#zm_expiring_days",
        },
        { trigger: "#zm_auto_renew_hours" },
        {
            content: "Save the settings",
            trigger: ".o_control_panel button:contains(Save)",
            run: "click",
        },
        {
            content: "Saved without an error: the settings are shown again",
            trigger: ".settings_tab .tab[data-key=zm_broadband]",
        },
    ],
});
