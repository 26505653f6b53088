#!/usr/bin/env bash
# Run the whole test suite on a fresh Debian/Ubuntu machine: installs what the
# tests need (LibreOffice and its Python bridge for the workbook and add-in
# checks, npm for Pyodide's lock file; DejaVu fonts for documents), makes the virtual environment, installs ardesk with its test
# extras, and runs pytest.  Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v soffice >/dev/null 2>&1 || need_apt+=(libreoffice-calc-nogui)
/usr/bin/python3 -c "import uno" >/dev/null 2>&1 || need_apt+=(python3-uno)
# npm fetches Pyodide's package lock file for the xlwings Lite requirements check
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
# documents: DejaVu covers Latin, Greek, Cyrillic, Arabic and Hebrew for names in any of those scripts
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing ${need_apt[*]} from the Debian archive"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
exec .venv/bin/python -m pytest "$@"
