#!/usr/bin/env bash
# Install (or remove) Horsepower's menu entry and icons for the current user.
#
#   packaging/install_desktop_entry.sh                 # point at `horsepower` on PATH, else the bundle
#   packaging/install_desktop_entry.sh --bundle DIR    # point at DIR/horsepower (frozen onedir bundle)
#   packaging/install_desktop_entry.sh --exec PATH     # point at any executable
#   packaging/install_desktop_entry.sh --uninstall     # remove what this script installed
#
# Files go under ${XDG_DATA_HOME:-~/.local/share}: applications/horsepower.desktop and
# icons/hicolor/<N>x<N>/apps/horsepower.png (+ scalable/apps/horsepower.svg). No root needed.
set -euo pipefail

APP_ID=horsepower
SIZES="16 24 32 48 64 128 256 512"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS_DIR="$DATA_HOME/applications"
ICON_ROOT="$DATA_HOME/icons/hicolor"

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "install_desktop_entry: $*" >&2; exit 1; }

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$APPS_DIR" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$ICON_ROOT/index.theme" ]; then
        gtk-update-icon-cache -q -t "$ICON_ROOT" 2>/dev/null || true
    fi
}

uninstall() {
    rm -f "$APPS_DIR/$APP_ID.desktop" "$ICON_ROOT/scalable/apps/$APP_ID.svg"
    for n in $SIZES; do rm -f "$ICON_ROOT/${n}x${n}/apps/$APP_ID.png"; done
    refresh_caches
    echo "removed $APPS_DIR/$APP_ID.desktop and its icons"
}

exec_path=""
mode=install
while [ $# -gt 0 ]; do
    case "$1" in
        --exec) [ $# -ge 2 ] || die "--exec needs a path"; exec_path="$2"; shift 2 ;;
        --bundle) [ $# -ge 2 ] || die "--bundle needs a directory"; exec_path="$2/$APP_ID"; shift 2 ;;
        --uninstall) mode=uninstall; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

if [ "$mode" = uninstall ]; then uninstall; exit 0; fi

if [ -z "$exec_path" ]; then
    if command -v "$APP_ID" >/dev/null 2>&1; then
        exec_path="$(command -v "$APP_ID")"
    elif [ -x "$HERE/dist/$APP_ID/$APP_ID" ]; then
        exec_path="$HERE/dist/$APP_ID/$APP_ID"
    else
        die "no '$APP_ID' on PATH and no bundle at $HERE/dist/$APP_ID; pip install . or run packaging/build, or pass --exec/--bundle"
    fi
fi
[ -x "$exec_path" ] || die "$exec_path is not an executable file"
exec_path="$(cd "$(dirname "$exec_path")" && pwd)/$(basename "$exec_path")"
case "$exec_path" in
    *[[:space:]\"\'\\\$\`]*) die "the path $exec_path has spaces or quotes; move it or link it from a plain path" ;;
esac

# Icons: from the source tree, else from inside a frozen bundle (_internal/resources).
icon_dir="$REPO/resources"
[ -f "$icon_dir/$APP_ID.svg" ] || icon_dir="$(dirname "$exec_path")/_internal/resources"
[ -f "$icon_dir/$APP_ID.svg" ] || die "cannot find the icons (looked in $REPO/resources and the bundle)"

mkdir -p "$APPS_DIR" "$ICON_ROOT/scalable/apps"
for n in $SIZES; do
    mkdir -p "$ICON_ROOT/${n}x${n}/apps"
    install -m 644 "$icon_dir/icons/$APP_ID-$n.png" "$ICON_ROOT/${n}x${n}/apps/$APP_ID.png"
done
install -m 644 "$icon_dir/$APP_ID.svg" "$ICON_ROOT/scalable/apps/$APP_ID.svg"

entry="$APPS_DIR/$APP_ID.desktop"
sed -e "s|^Exec=.*|Exec=$exec_path|" -e "s|^TryExec=.*|TryExec=$exec_path|" \
    "$icon_dir/$APP_ID.desktop" > "$entry.tmp"
chmod 644 "$entry.tmp"
mv "$entry.tmp" "$entry"
if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate "$entry" || die "the installed entry does not validate: $entry"
fi
refresh_caches
echo "installed $entry -> $exec_path"
echo "icons in $ICON_ROOT/<N>x<N>/apps/$APP_ID.png; Horsepower is now in your applications menu"
