"""Build hook: the document templates go into the wheel.

In a checkout the templates live in ``workbooks/templates/`` beside the
template workbook, where a clerk finds and edits them, and an editable install
reads them there.  A wheel has no ``workbooks/``: this copies the folder into
the built package as ``ardesk/documents/templates/`` (package data), which
:data:`ardesk.documents.settings.SHIPPED_TEMPLATES` finds first.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TEMPLATES = Path(__file__).resolve().parent / "workbooks" / "templates"


class BuildPyWithTemplates(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return                       # editable: the package reads workbooks/templates/ itself
        target = Path(self.build_lib) / "ardesk" / "documents" / "templates"
        self.mkpath(str(target))
        for f in sorted(TEMPLATES.iterdir()):
            if f.is_file():
                self.copy_file(str(f), str(target / f.name))


setup(cmdclass={"build_py": BuildPyWithTemplates})
