#!/usr/bin/env python
import os
import sys
from pathlib import Path


def demo_site_port() -> None:
    """bin/demo records the port it serves on (VAR_DIR/demo-site-port): a command run beside the
    demo, say in another shell, links to that port in the emails it renders. SITE_PORT, when set,
    wins; with DEBUG off the file is never read."""
    if os.environ.get("DEBUG", "").strip().lower() in {"0", "false", "no", "off"}:
        return
    var_dir = os.environ.get("VAR_DIR") or Path(__file__).resolve().parent / "var"
    try:
        port = (Path(var_dir) / "demo-site-port").read_text().strip()
    except OSError:
        return
    if port.isdigit():
        os.environ.setdefault("SITE_PORT", port)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    demo_site_port()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
