"""The demo desk's help center: a few categories, sections and articles (through the services,
so they are published and searchable), written for a backup product."""

from __future__ import annotations

from helpcenter import services
from helpcenter.models import Category

ARTICLES = {
    ("Backups", "Getting started"): [
        (
            "Add a computer to your account",
            "Install the app on the computer, sign in with your account, and choose what to "
            "back up.\n\n1. Download the installer from your account page.\n2. Sign in with "
            "the same email address as your other devices.\n3. Pick folders, or keep the "
            "suggested ones.\n\nThe first backup can take a day or more; later ones only send "
            "what changed.",
        ),
        (
            "Change when backups run",
            "Backups run every 15 minutes by default. To change it, open **Settings → "
            "Schedule** and pick the hours the app may use the network.\n\nA backup that is "
            "running when its window closes stops and carries on at the next opening.",
        ),
    ],
    ("Backups", "Troubleshooting"): [
        (
            "A backup stops before it finishes",
            "If a backup stops at the same percentage every time:\n\n- make sure the app is "
            "the current version;\n- look for *snapshot timeout* in the history log;\n- "
            "restart the backup service from **Settings → Advanced**.\n\nIf it still stops, "
            "submit a ticket with the history log attached.",
        ),
        (
            "Find the app's log files",
            "The history log lists every backup with its result. Open **Help → Show logs**; "
            "zip the folder and attach it to your ticket. Logs contain file names but never "
            "file contents.",
        ),
    ],
    ("Restores", "Restoring files"): [
        (
            "Restore a deleted file",
            "Deleted files stay in the backup for 90 days.\n\n1. Open the app and choose "
            "**Restore files**.\n2. Pick the backup set and the date before the file was "
            "deleted.\n3. Choose a destination: the original folder or a new one.\n\n> A "
            "restore never overwrites a newer file unless you ask it to.",
        ),
        (
            "Why a restore is slow",
            "A restore runs at the speed of your internet connection. To get the urgent files "
            "first, restore those folders on their own, then the rest. A wired connection is "
            "usually faster than Wi-Fi.",
        ),
    ],
}


def seed_help_center(author=None) -> int:
    """Publish the demo articles once (call inside the demo tenant's context)."""
    if Category.objects.exists():
        return 0
    made = 0
    categories = {}
    for (category_name, section_name), articles in ARTICLES.items():
        if category_name not in categories:
            categories[category_name] = services.category_save(
                values={"name": category_name, "position": len(categories)}
            )
        section = services.section_save(
            values={"category": categories[category_name], "name": section_name}
        )
        for position, (title, body) in enumerate(articles):
            services.article_save(
                values={
                    "section": section,
                    "title": title,
                    "body": body,
                    "status": "published",
                    "position": position,
                },
                author=author,
            )
            made += 1
    return made
