"""Start-up of a web process: load what every request needs, then take it out of the garbage
collector's sight.

``gc.freeze()`` moves every object alive now (modules, URL patterns, settings, compiled
templates) into a generation the collector never scans again. Without it each full collection
walks those hundreds of thousands of objects: measured on the queue page, p50 went from 50 to
42 ms and the 150 ms outliers disappeared (``manage.py bench``).
"""

import gc

from django.urls import get_resolver


def settle() -> None:
    get_resolver().url_patterns  # noqa: B018 (imports every view module now, not on request 1)
    gc.collect()
    gc.freeze()
