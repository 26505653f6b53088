"""The workbook file edited as a package of parts: only what a run changes is rewritten.

:mod:`.opc` is the package (ECMA-376 Part 2), :mod:`.sheet` the worksheet
cells, :mod:`.styles` the cell formats, :mod:`.segments` the deflated
segments rows are appended after, and :mod:`.writer` turns a run's Changes
into replaced parts.
"""
from .opc import Package, PackageError
from .segments import Segments
from .writer import table_value_parts, value_parts, write_package, written_segments

__all__ = ["Package", "PackageError", "Segments", "table_value_parts", "value_parts", "write_package", "written_segments"]
