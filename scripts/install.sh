#!/bin/sh
# The one way AegisSLO is installed: `make install` and the container image's build stage both
# run this script, so a developer's .venv and the image cannot drift apart.
#
# usage: scripts/install.sh [--editable] [--extras LIST] VENV
#   VENV            virtual environment to create (or reuse) and install into
#   --editable      install the working tree in development mode (make install)
#   --extras LIST   optional dependency groups, comma-separated: test (make install), postgres (the image)
#
# Run from the repository root (or the image's copy of it). PYTHON picks the interpreter (python3).
set -eu

editable=""
extras=""
while [ $# -gt 1 ]; do
	case "$1" in
		--editable) editable="-e" ;;
		--extras) extras="[$2]"; shift ;;
		*) echo "install.sh: unknown option '$1' (usage: install.sh [--editable] [--extras LIST] VENV)" >&2; exit 2 ;;
	esac
	shift
done
if [ $# -ne 1 ] || [ -z "$1" ] || [ "${1#-}" != "$1" ]; then
	echo "install.sh: expected one VENV directory after the options" >&2
	exit 2
fi
venv="$1"

"${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
# shellcheck disable=SC2086  # $editable is empty or one word, by construction
"$venv/bin/python" -m pip install --quiet $editable ".$extras"
