"""Who is running ardesk: the name written to Audit, the run log, Deliveries and Excel's owner file."""
from __future__ import annotations

import getpass


def clerk_name() -> str:
    """The logged-in user's name, or '' where the system cannot say (no login name, no USER variable)."""
    try:
        return getpass.getuser()
    except Exception:       # getpass raises OSError, KeyError or ImportError depending on the platform
        return ""
