"""Demo content for tickets: the policy tenant's form and a desk's worth of conversations."""

from desk.priorities import Priority
from tickets.models import TicketFormField

F = TicketFormField.FieldType

# The vendor's policy asks for exactly these details (the description is built into every form).
DEMO_FORM = [
    dict(
        key="product",
        label="Product",
        field_type=F.CHOICE,
        required=True,
        choices=["CrashPlan for Small Business"],
        position=10,
    ),
    dict(
        key="os",
        label="Operating system and version",
        field_type=F.SHORT_TEXT,
        required=True,
        help_text="For example: Windows 11 23H2, macOS 14.5, Ubuntu 22.04.",
        position=20,
    ),
    dict(
        key="app_version",
        label="CrashPlan app version",
        field_type=F.VERSION,
        required=True,
        help_text="In the app: Help › About. For example 11.4.1.",
        position=30,
    ),
    dict(
        key="device_guids",
        label="Computer ID (GUID) of each affected device",
        field_type=F.GUID_LIST,
        help_text="One per line. Shown in the app under Settings › Device details.",
        position=40,
    ),
    dict(
        key="logs",
        label="Logs from the CrashPlan app",
        field_type=F.FILES,
        file_kind=TicketFormField.FileKind.LOGS,
        help_text="Text log files or a zip of the log folder.",
        position=45,
    ),
    dict(
        key="affected_users",
        label="Email address or username of each affected user account",
        field_type=F.EMAIL_LIST,
        allow_usernames=True,
        help_text="One per line.",
        position=48,
    ),
    dict(
        key="screenshots",
        label="Screenshots of the relevant settings or error messages",
        field_type=F.FILES,
        file_kind=TicketFormField.FileKind.IMAGES,
        help_text="PNG, JPEG or WebP.",
        position=60,
    ),
    dict(
        key="destinations",
        label="Cloud backup destinations you use",
        field_type=F.MULTI_CHOICE,
        choices=["CrashPlan Central", "CrashPlan cloud"],
        position=70,
    ),
]

SECOND_FORM = [
    dict(key="app_version", label="Globex app version", field_type=F.VERSION, position=10),
]

# (customer email, subject, priority, app version, description, [(who, body, submit_as)]);
# who is "agent" or "customer"; submit_as applies to agent replies.
DEMO_CONVERSATIONS = [
    (
        "customer@demo.example.com",
        "Restore fails: destination unavailable",
        Priority.URGENT,
        "11.4.1",
        "Trying to restore the accounting share after a disk failure. Every attempt stops "
        "with *destination unavailable* after a minute. We have no other copy of these files.",
        [
            (
                "agent",
                "Sorry to hear that. Please send the app logs from the machine running the "
                "restore so we can see where the connection drops.",
                "pending",
            )
        ],
    ),
    (
        "pat@northwind.example.com",
        "Subscription expired and renewal page errors",
        Priority.URGENT,
        "11.4.1",
        "Our subscription lapsed yesterday and the renewal page shows an error when we "
        "pay. Backups have stopped on all twelve machines.",
        [],
    ),
    (
        "lee@bluebird.example.com",
        "Backup stuck at 83% for three days",
        Priority.HIGH,
        "11.2.0",
        "The office file server has shown 83% since Monday. Nothing in the history since.",
        [
            (
                "agent",
                "Thanks. I see the device is on 11.2.0; could you update to the current version "
                "first? The update fixes a stall in large file sets.",
                "open",
            )
        ],
    ),
    (
        "customer@demo.example.com",
        "Backups slow my laptop during meetings",
        Priority.NORMAL,
        "11.4.1",
        "Video calls stutter when the backup runs. Can we limit it during the day?",
        [
            (
                "agent",
                "Yes: Settings › Backup › Frequency and versions, set *CPU usage when user is "
                "present* to 20%. That keeps calls smooth.",
                "solved",
            )
        ],
    ),
    (
        "pat@northwind.example.com",
        "Typo in the deployment guide",
        Priority.LOW,
        "11.4.1",
        "Step 4 says `--silnet` instead of `--silent`.",
        [
            (
                "agent",
                "Good catch, thank you! Passed to the documentation team; the fix ships with the "
                "next update of the guide.",
                "solved",
            )
        ],
    ),
    (
        "lee@bluebird.example.com",
        "Excluded folder still backed up on macOS",
        Priority.NORMAL,
        "11.4.1",
        "I excluded ~/Movies but it still shows in the backup selection.",
        [("agent", "Could you attach a screenshot of the file exclusions list?", "pending")],
    ),
    (
        "customer@demo.example.com",
        "Request: schedule backups by weekday",
        Priority.LOW,
        "11.4.1",
        "It would help to pause backups on weekends for our part-time office.",
        [],
    ),
]

# Canned replies for the demo desk: (name, body, submit_as, priority).
DEMO_MACROS = [
    (
        "Please update the app",
        "Thanks for the details. Your device runs an older version of "
        "the app; please update to the current version (Help › Check for updates) and tell us "
        "whether the problem remains.",
        "pending",
        "",
    ),
    (
        "We need your logs",
        "To find the cause we need the app's logs from the affected "
        "device. Please zip the log folder and attach it to this ticket.",
        "pending",
        "",
    ),
    (
        "Restore: try the web restore",
        "While we investigate, you can restore individual files "
        "from the web console (Devices › Restore). Let us know if that works for you.",
        "open",
        "",
    ),
    (
        "Solved: fixed in current version",
        "This is fixed in the current version of the app. "
        "Once your devices have updated the problem will not recur. Reply if it does.",
        "solved",
        "",
    ),
]
