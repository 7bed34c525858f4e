"""Presets for the exports people already have: desks and marketing platforms.

``preset: zendesk`` on a source fills in its identity keys, column mapping,
dates, date format, encoding and quirks, and derives two canonical fields so
one rules file works with any desk:

- ``state``: ``open`` or ``closed``, from the vendor's status;
- ``severity``: ``low``, ``normal``, ``high`` or ``urgent``, from its priority.

Anything the rules file states explicitly wins over the preset. Columns a
preset maps are optional (reports differ in which columns they include); a
rule that uses a field whose column is missing is an error naming it.

A field lists the column names it is read from, first found wins: that is how
one preset reads a desk's other report kinds (Zendesk Explore), older or
trimmed layouts (Freshdesk's ``Contact ID``, ServiceNow's ``severity``) and
other UI languages (Jira in Spanish, German, French, Portuguese).
:func:`accepted_columns` lists them for messages.

Layouts follow ``shared/reference/export-formats.md`` (vendor documentation,
public parsers and fixtures); :mod:`cxaudit.rules.preset_docs` says what each one
rests on and what it reads, for docs/presets.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cxaudit.rules.jira import JIRA_CATEGORIES, JIRA_COLUMNS, JIRA_STATES
from cxaudit.rules.layouts import names as _c
from cxaudit.rules.layouts import states as _states


@dataclass(frozen=True)
class Derive:
    """A canonical field computed from another field through a value map
    (matched case-insensitively after trimming). ``prefer``: a field whose
    mapped value wins on each row where the export has it (Jira's status
    category says open or done for every status, custom ones included)."""

    source: str
    values: dict[str, str]
    prefer: Derive | None = None


@dataclass(frozen=True)
class Preset:
    name: str
    kind: str  # "source" or "recipients"
    description: str
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dates: tuple[str, ...] = ()
    date_format: str | None = None
    encoding: str | None = None
    derive: dict[str, Derive] = field(default_factory=dict)
    footer: tuple[str, ...] = ()  # regexes of trailing single-cell lines to drop
    # What to do when none of the identity columns is in the file (the
    # export's usual layout names the person without an email).
    keys_hint: str = ""


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            name="zendesk",
            kind="source",
            description="Zendesk ticket export (Reports -> CSV), or an Explore report",
            keys=_c(customer_id="Requester external id", email="Requester email"),
            columns=_c(
                case_id=("Id", "Ticket ID"),
                subject=("Subject", "Ticket subject"),
                status=("Status", "Ticket status"),
                priority=("Priority", "Ticket priority"),
                requester=("Requester", "Requester name"),
                group=("Group", "Ticket group"),
                ticket_type="Ticket type",
                tags=("Tags", "Ticket tags"),
                opened_at=("Created at", "Ticket created - Timestamp"),
                updated_at=("Updated at", "Ticket updated - Timestamp"),
                closed_at=("Solved at", "Ticket solved - Timestamp"),
                satisfaction="Satisfaction Score",
                product=("Product [list]", "Product"),
            ),
            dates=("opened_at", "updated_at", "closed_at"),
            keys_hint="an Explore report names the requester only by 'Requester ID', a Zendesk "
            "user id: add the attribute Requester email to the report, or map customer_id: "
            '"Requester ID" under keys if the campaign list carries Zendesk user ids',
            derive={
                "state": Derive(
                    "status",
                    _states(["new", "open", "pending", "hold", "on-hold"], ["solved", "closed"]),
                ),
                "severity": Derive(
                    "priority",
                    {"low": "low", "normal": "normal", "high": "high", "urgent": "urgent"},
                ),
            },
        ),
        Preset(
            name="salesforce",
            kind="source",
            description='Salesforce case report, "Details Only" CSV export',
            keys=_c(email="Contact Email"),
            columns=_c(
                case_id="Case Number",
                subject="Subject",
                status="Status",
                priority="Priority",
                origin="Case Origin",
                contact="Contact Name",
                account="Account Name",
                owner="Case Owner",
                opened_at="Date/Time Opened",
                closed_at="Date/Time Closed",
                product="Product",
            ),
            dates=("opened_at", "closed_at"),
            date_format="%m/%d/%Y %I:%M %p",
            derive={
                "state": Derive(
                    "status", _states(["new", "working", "escalated", "on hold"], ["closed"])
                ),
                "severity": Derive(
                    "priority",
                    {"low": "low", "medium": "normal", "high": "high", "critical": "urgent"},
                ),
            },
            footer=(
                r"^Grand Totals \((\d+) records?\)$",
                r"^Confidential Information - Do Not Distribute$",
                r"^Copyright (?:\(c\)|©) \d{4}-\d{4} salesforce\.com, inc\. All rights reserved\.$",
                r"^Generated By:\s",
            ),
        ),
        Preset(
            name="freshdesk",
            kind="source",
            description="Freshdesk ticket export (with contact fields)",
            # Exports without the Email column carry the requester's address in Contact ID.
            keys=_c(
                email=("Email", "Contact ID"),
                customer_id="Unique External ID",
                phone="Mobile phone",
            ),
            columns=_c(
                case_id="Ticket ID",
                subject="Subject",
                status="Status",
                priority="Priority",
                source="Source",
                ticket_type="Type",
                group="Group",
                tags="Tags",
                opened_at="Created time",
                closed_at=("Resolved time", "Closed time"),  # when the problem ended
                final_closed_at="Closed time",
                updated_at="Last update time",
                product="Product",
            ),
            dates=("opened_at", "closed_at", "final_closed_at", "updated_at"),
            date_format="%Y-%m-%d %H:%M:%S",
            derive={
                "state": Derive(
                    "status",
                    _states(
                        ["open", "pending", "waiting on customer", "waiting on third party"],
                        ["resolved", "closed"],
                    ),
                ),
                "severity": Derive(
                    "priority",
                    {"low": "low", "medium": "normal", "high": "high", "urgent": "urgent"},
                ),
            },
        ),
        Preset(
            name="servicenow",
            kind="source",
            description="ServiceNow incident or task list export (CSV), caller email column added",
            keys=_c(email="caller_id.email", customer_id="caller_id.user_name"),
            columns=_c(
                case_id="number",
                subject="short_description",
                status="state",
                priority=("priority", "severity"),  # severity when the list has no priority
                category="category",
                caller="caller_id",
                group="assignment_group",
                opened_at=("opened_at", "created", "sys_created_on"),
                updated_at="sys_updated_on",
                closed_at=("closed_at", "resolved_at"),
            ),
            dates=("opened_at", "updated_at", "closed_at"),
            encoding="cp1252",
            derive={
                "state": Derive(
                    "status",
                    _states(
                        ["new", "in progress", "on hold", "open", "pending", "work in progress"],
                        [
                            "resolved",
                            "closed",
                            "canceled",
                            "closed complete",
                            "closed incomplete",
                            "closed skipped",
                        ],
                    ),
                ),
                "severity": Derive(
                    "priority",
                    {
                        "1 - critical": "urgent",
                        "2 - high": "high",
                        "3 - moderate": "normal",
                        "4 - low": "low",
                        "5 - planning": "low",
                        # the severity column, read when there is no priority
                        "1 - high": "high",
                        "2 - medium": "normal",
                        "3 - low": "low",
                    },
                ),
            },
        ),
        Preset(
            name="hubspot_tickets",
            kind="source",
            description="HubSpot tickets export, with an associated contact's email added",
            keys=_c(email=("Associated Contact Email", "Email", "Contact email")),
            columns=_c(
                case_id="Ticket ID",
                subject="Ticket name",
                pipeline="Pipeline",
                status="Ticket status",
                priority="Priority",
                owner="Ticket owner",
                source="Source",
                opened_at="Create date",
                updated_at="Last activity date",
                closed_at="Close date",
            ),
            dates=("opened_at", "updated_at", "closed_at"),
            derive={
                "state": Derive(
                    "status",
                    _states(["new", "waiting on contact", "waiting on us"], ["closed"]),
                ),
                "severity": Derive(
                    "priority",
                    {"low": "low", "medium": "normal", "high": "high", "urgent": "urgent"},
                ),
            },
        ),
        Preset(
            name="jira",
            kind="source",
            description='Jira Service Management "Export CSV (all fields)", in English, Spanish, '
            "German, French or Portuguese",
            # The reporter's own column is the fallback: it holds an address where
            # usernames are addresses, a display name in Jira Cloud (then no row
            # has a key, and the run stops saying so).
            keys=_c(
                email=("Reporter Email", "Reporter", "Informador", "Autor", "Rapporteur", "Relator")
            ),
            columns=JIRA_COLUMNS,
            dates=("opened_at", "updated_at", "closed_at"),
            date_format="%d/%b/%y %I:%M %p",
            keys_hint="Jira Cloud exports name the reporter only by name and by account id "
            "({reporter_id}): add the reporter's email to the export as a column "
            "'Reporter Email', or map customer_id: \"{reporter_id}\" under keys if the campaign "
            "list carries Jira account ids",
            derive={
                "state": Derive(
                    "status", JIRA_STATES, prefer=Derive("status_category", JIRA_CATEGORIES)
                ),
                "severity": Derive(
                    "priority",
                    {
                        "highest": "urgent",
                        "high": "high",
                        "medium": "normal",
                        "low": "low",
                        "lowest": "low",
                    },
                ),
            },
        ),
        Preset(
            name="mailchimp",
            kind="recipients",
            description="Mailchimp audience export",
            keys=_c(email="Email Address", phone=("Phone Number", "Phone")),
        ),
        Preset(
            name="hubspot_contacts",
            kind="recipients",
            description="HubSpot contacts export",
            keys=_c(customer_id=("Record ID", "Contact ID"), email="Email", phone="Phone Number"),
        ),
        Preset(
            name="klaviyo",
            kind="recipients",
            description="Klaviyo profiles export",
            keys=_c(email="Email", phone="Phone Number", customer_id=("External ID", "Klaviyo ID")),
        ),
        Preset(
            name="shopify_customers",
            kind="recipients",
            description="Shopify customers export (Customers -> Export)",
            # 'Customer ID' comes as '7210448301122 (identity drops the apostrophe)
            keys=_c(
                customer_id="Customer ID", email="Email", phone=("Phone", "Default Address Phone")
            ),
            columns=_c(
                accepts_email_marketing=("Accepts Email Marketing", "Accepts Marketing"),
                accepts_sms_marketing="Accepts SMS Marketing",
                accepts_whatsapp_marketing="Accepts WhatsApp Marketing",
                total_orders="Total Orders",
                total_spent="Total Spent",
                tags="Tags",
            ),
        ),
        Preset(
            name="substack",
            kind="recipients",
            description="Substack subscribers (Settings -> Export data, or the dashboard's export)",
            keys=_c(email=("email", "Email")),
            columns=_c(
                active_subscription="active_subscription",
                email_disabled="email_disabled",
                plan="plan",
                subscription_type="Subscription type",
                subscribed_at="created_at",
                expires_at="expiry",
                first_payment_at="first_payment_at",
            ),
            dates=("subscribed_at", "expires_at", "first_payment_at"),
        ),
        Preset(
            name="beehiiv",
            kind="recipients",
            description="beehiiv subscribers export",
            keys=_c(email="email"),
            columns=_c(
                status="status",
                tier="tier",
                subscribed_at="created_at",
                unsubscribed_at="unsubscribed_at",
            ),
            dates=("subscribed_at", "unsubscribed_at"),
        ),
        Preset(
            name="braze",
            kind="recipients",
            description="Braze segment export",
            keys=_c(customer_id=("user_id", "external_id"), email="email", phone="phone_number"),
        ),
    ]
}


def accepted_columns(preset: str, field: str) -> tuple[str, ...]:
    """Every column name ``preset`` reads key or column ``field`` from, in the
    order they are tried; () when it does not map that field. For messages
    that name what an export lacks ("no column 'closed_at' or 'resolved_at'")."""
    p = PRESETS[preset]
    return p.keys.get(field) or p.columns.get(field) or ()
