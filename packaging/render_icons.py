"""Render ``resources/horsepower.svg`` to the PNG icon sizes in ``resources/icons/``.

Run from anywhere: ``python packaging/render_icons.py``. Uses PySide6's QtSvg (part of
PySide6-Essentials) with the offscreen platform, so no display is needed. Also writes
``resources/icons/horsepower.ico`` (Windows) from the 16-256 px renders.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG_PATH = ROOT / "resources" / "horsepower.svg"
ICON_DIR = ROOT / "resources" / "icons"
SIZES_PX = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES_PX = (16, 24, 32, 48, 64, 128, 256)


def png_name(size_px: int) -> str:
    return f"horsepower-{size_px}.png"


def render(svg_path: Path = SVG_PATH, out_dir: Path = ICON_DIR) -> list[Path]:
    """Render every size; returns the written PNG paths."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg_path))
    if not renderer.isValid():
        raise RuntimeError(f"{svg_path} is not a valid SVG for QtSvg")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for size_px in SIZES_PX:
        image = QImage(size_px, size_px, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter, QRectF(0, 0, size_px, size_px))
        painter.end()
        path = out_dir / png_name(size_px)
        if not image.save(str(path), "PNG"):
            raise RuntimeError(f"could not write {path}")
        written.append(path)
    write_ico(out_dir / "horsepower.ico", [out_dir / png_name(s) for s in ICO_SIZES_PX])
    return written


def write_ico(ico_path: Path, pngs: list[Path]) -> None:
    """Pack PNG files into one Windows .ico (PNG-compressed entries, Vista and later)."""
    import struct

    blobs = [p.read_bytes() for p in pngs]
    header = struct.pack("<HHH", 0, 1, len(blobs))
    offset = len(header) + 16 * len(blobs)
    entries = b""
    for blob in blobs:
        width, height = struct.unpack(">II", blob[16:24])  # IHDR
        entries += struct.pack(
            "<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(blob), offset
        )
        offset += len(blob)
    ico_path.write_bytes(header + entries + b"".join(blobs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=SVG_PATH)
    parser.add_argument("--out", type=Path, default=ICON_DIR)
    args = parser.parse_args(argv)
    for path in render(args.svg, args.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
