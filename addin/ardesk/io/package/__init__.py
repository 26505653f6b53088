"""The workbook file edited as a package of parts: only what a run changes is rewritten.

:mod:`.opc` is the package (ECMA-376 Part 2), :mod:`.sheet` the worksheet
cells, :mod:`.styles` the cell formats and :mod:`.writer` turns a run's
Changes into replaced parts.
"""
from .opc import Package, PackageError
from .writer import value_parts, write_package

__all__ = ["Package", "PackageError", "value_parts", "write_package"]
