"""main.py of an ardesk workbook in xlwings Lite (copy it into the Lite editor).

The scripts appear in Lite's script list (ardesk: Validate, ardesk: Bill
period...) and the ARDESK_* functions become worksheet functions.  Both are
the library's own, defined in ardesk.excel.buttons (one script per ribbon
button) and ardesk.excel.udfs; nothing else belongs here.
"""
from ardesk.excel.buttons import *  # noqa: F401,F403
from ardesk.excel.udfs import *  # noqa: F401,F403
