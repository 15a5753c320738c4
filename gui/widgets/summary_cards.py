"""Big-number cards: samples/s, FLOP/s, MFU and speedup vs CPU of the run in focus. GUI thread.

A strip above the cards says whose figures these are and on what basis ("LIVE · last
2.0 s" while running, "FINAL · 412 timed steps" after). FLOP/s take the unit that fits
the value (GFLOP/s on a CPU, TFLOP/s on a GPU). MFU reads against both references, one per
line ("43% of hardware peak" / "45% of the best GEMM measured here"), with where each comes
from in its tooltip. Every n/a has a tooltip saying why; a result with quality warnings
(noisy, few steps, still warming, contended) is flagged in amber, one with an error (an MFU
above the hardware peak: a wrong FLOP count or peak) in red.

``display`` runs on every refresh tick (a few Hz), so it only touches labels whose text
changed and re-polishes styles only when a state flips.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui.viewmodel.card_values import FIGURE
from gui.widgets.elided_label import ElidedLabel
from gui.widgets.metric_help import na_tip, tip
from gui.widgets.theme import device_colour
from profiler import units

if TYPE_CHECKING:
    from gui.viewmodel.card_values import CardValues

__all__ = ["Card", "SummaryCards", "split_unit"]

IDLE_ACCENT = "#9CA3AF"
UNIT_SCALE = 0.42  # unit text size relative to the big number
WARNING_SIGN = "\u26a0"
ERROR_SIGN = "\u2716"
CHIP_CHARS = 90  # the chip shows the first flag this long; its tooltip has them all in full


def split_unit(text: str) -> tuple[str, str]:
    """``"4.31 GFLOP/s"`` -> ``("4.31", "GFLOP/s")``; text without a unit -> (text, "")."""
    number, sep, unit = text.partition(" ")
    return (number, unit) if sep else (text, "")


def _set_text(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)


def _set_flag(widget: QWidget, name: str, on: bool) -> None:
    """Flip a dynamic property used by the stylesheet; re-polish only when it changes."""
    if bool(widget.property(name)) != on:
        widget.setProperty(name, on)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


class Card(QFrame):
    """Title (with a warning flag), one big number with its unit, and a caption."""

    def __init__(self, title: str, metric: str, parent: QWidget | None = None,
                 shorts: dict[str, str] | None = None) -> None:
        super().__init__(parent, objectName="card")
        self.metric_name = metric
        # a narrow card shows a title's short form (``shorts``), then elides it: never clips a letter
        self.title = ElidedLabel(title.upper(), self, objectName="cardTitle", shorts=shorts)
        self.flag = QLabel(WARNING_SIGN, self, objectName="cardFlag")
        self.flag.hide()
        self.value = QLabel("n/a", self, objectName="cardValue")
        self.value.setTextFormat(Qt.TextFormat.AutoText)
        self.caption = QLabel("", self, objectName="cardCaption")
        self.caption.setWordWrap(True)  # large type (presentation) wraps the caption, never clips it
        for label in (self.title, self.value, self.caption):  # large type must never widen the window
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setMinimumWidth(0)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title, 1)
        head.addWidget(self.flag)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.setSpacing(0)
        layout.addLayout(head)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)
        self.setToolTip(tip(metric))
        self._accent = ""
        self._plain = "n/a"

    def plain_value(self) -> str:
        """The value as plain text, unit included (``"4.31 GFLOP/s"``, ``"n/a"``)."""
        return self._plain

    def show_value(self, text: str | None, caption: str, accent: str, na_reason: str = "",
                   with_unit: bool = False, detail: str = "", plain: str = "") -> None:
        """Show ``text`` (None: n/a, with ``na_reason`` as tooltip); ``with_unit`` draws the
        part after the first space smaller; ``detail`` is added to the tooltip; ``plain`` is
        the value in words when the card's title carries part of it (``plain_value``)."""
        self._plain = (plain or text) if text is not None else "n/a"
        if text is None:
            shown = "n/a"
        elif with_unit:
            number, unit = split_unit(text)
            unit_pt = max(7.0, self.value.font().pointSizeF() * UNIT_SCALE)
            shown = f'{number}<span style="font-size:{unit_pt:.0f}pt">&nbsp;{unit}</span>'
        else:
            shown = text
        _set_text(self.value, shown)
        _set_flag(self.value, "na", text is None)
        _set_text(self.caption, caption)
        want = tip(self.metric_name) if text is not None else (na_reason or na_tip(self.metric_name))
        if detail:
            want = f"{want}\n\n{detail}"
        if self.value.toolTip() != want:
            self.value.setToolTip(want)
        if accent != self._accent:  # restyling is costly: only when the device changes
            self._accent = accent
            self.setStyleSheet(f"#card {{ border-left: 4px solid {accent}; }}")

    def show_warnings(self, warnings: tuple[str, ...], errors: tuple[str, ...] = ()) -> None:
        """Flag the card amber with the warnings as tooltip, red when there are errors (listed
        first); empty tuples clear it."""
        self.flag.setVisible(bool(warnings or errors))
        _set_text(self.flag, ERROR_SIGN if errors else WARNING_SIGN)
        lines = [*(f"Error: {e}" for e in errors), *warnings]
        head = "This figure is wrong:" if errors else "Treat this figure with care:"
        self.flag.setToolTip(head + "\n" + "\n".join(lines) if lines else "")
        _set_flag(self.flag, "error", bool(errors))
        _set_flag(self, "error", bool(errors))
        _set_flag(self, "warn", bool(warnings) and not errors)


class SummaryCards(QWidget):
    """A basis strip (live or final, and for which run) over a row of four cards."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.badge = QLabel("IDLE", self, objectName="basisBadge")
        self.basis = ElidedLabel("", self, objectName="basisLabel")
        self.warning = ElidedLabel("", self, objectName="warningChip")  # never widens the window
        self.warning.hide()
        self.samples = Card("Samples / s", "samples_per_s", self)
        self.tflops = Card("Achieved FLOP / s", "tflops", self, {"ACHIEVED FLOP / S": "FLOP / S"})
        self.mfu = Card("MFU of hardware peak", "mfu", self, {"MFU OF HARDWARE PEAK": "MFU OF PEAK"})
        self.speedup = Card("Speedup vs CPU", "speedup", self,
                            {"SPEEDUP VS CPU": "SPEEDUP", "RUN-TO-RUN SPREAD": "SPREAD",
                             "SPEEDUP (SETTINGS)": "SPEEDUP"})
        strip = QHBoxLayout()
        strip.setContentsMargins(2, 0, 2, 0)
        strip.addWidget(self.badge)
        strip.addWidget(self.basis, 1)
        strip.addWidget(self.warning)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for card in self.cards():
            row.addWidget(card)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(strip)
        layout.addLayout(row)
        self._badge_kind = ""

    def cards(self) -> tuple[Card, ...]:
        return (self.samples, self.tflops, self.mfu, self.speedup)

    def display(self, values: CardValues | None) -> None:
        if values is None:
            self._set_badge("idle", "IDLE")
            _set_text(self.basis, "No run yet: tick a device on the left and press Start (F5).")
            for card in self.cards():
                card.show_value(None, "press Start", IDLE_ACCENT, "n/a: no run yet; press Start.")
                card.show_warnings(())
            self.warning.hide()
            return
        self._show_basis(values)
        accent = device_colour(values.device)
        na = values.na
        unit = values.sample_unit or "samples"
        _set_text(self.samples.title, f"{unit.upper()} / S")
        self.samples.show_value(
            units.count(values.samples_per_s) if values.samples_per_s else None,
            self._samples_caption(values), accent, na.get("samples_per_s", ""), detail=values.cpu,
        )
        per_step = units.flop(values.flops_per_step) if values.flops_per_step else None
        params = f" · {units.si(values.params, 'params', spaced=True)}" if values.params else ""
        self.tflops.show_value(
            units.flops(values.flops_per_s) if values.flops_per_s is not None else None,
            f"{per_step}/step{params}" if per_step else "FLOPs not counted", accent,
            na.get("tflops", ""), with_unit=True,
        )
        hardware, ceiling = values.mfu_lines  # the title says "of hardware peak": the number stands alone
        self.mfu.show_value(
            units.share(values.mfu) if values.mfu is not None else None,
            ceiling if values.mfu_ceiling is not None else "best GEMM measured here: n/a", accent,
            na.get("mfu", ""), detail="\n".join(values.references), plain=hardware,
        )
        self._show_speedup(values, accent)
        errors = values.errors + ((values.mfu_warning,) if values.mfu_warning else ())
        self.samples.show_warnings(values.warnings)
        self.tflops.show_warnings(values.warnings, errors)  # a wrong FLOP count is one cause
        self.mfu.show_warnings(values.warnings, errors)
        self.speedup.show_warnings(())

    def _show_speedup(self, values: CardValues, accent: str) -> None:
        kind = values.speedup_kind
        if kind == FIGURE:  # nothing to compare (a CPU-only machine): the engine's figure in its place
            slot = values.slot
            _set_text(self.speedup.title, slot.title if slot else "MEASURED HERE")
            self.speedup.show_value(slot.text if slot else None, slot.caption if slot else "", accent,
                                    values.na.get("speedup", ""))
            _set_flag(self.speedup.value, "muted", False)
            return
        title = {"repeat": "RUN-TO-RUN SPREAD", "settings": "SPEEDUP (SETTINGS)"}.get(kind, "SPEEDUP VS CPU")
        _set_text(self.speedup.title, title)
        if kind == "baseline":
            text: str | None = "baseline"
        elif kind == "repeat":
            text = units.signed_share(values.spread) if values.spread is not None else None
        else:
            text = units.ratio(values.speedup) if values.speedup is not None else None
        self.speedup.show_value(text, self._speedup_caption(values), accent, values.na.get("speedup", ""))
        _set_flag(self.speedup.value, "muted", kind == "baseline")

    def _show_basis(self, values: CardValues) -> None:
        self._set_badge(*values.chip)
        _set_text(self.basis, f"{values.caption} · {values.basis}" if values.basis else values.caption)
        errors = values.errors + ((values.mfu_warning,) if values.mfu_warning else ())
        flagged = (*errors, *values.warnings)
        if flagged:
            more = f" (+{len(flagged) - 1})" if len(flagged) > 1 else ""
            first = flagged[0] if len(flagged[0]) <= CHIP_CHARS else flagged[0][: CHIP_CHARS - 1].rstrip() + "…"
            _set_text(self.warning, f"{ERROR_SIGN if errors else WARNING_SIGN} {first}{more}")
            lines = [*(f"Error: {e}" for e in errors), *values.warnings]
            self.warning.setToolTip("The engine flagged this result:\n" + "\n".join(lines))
            _set_flag(self.warning, "error", bool(errors))
            self.warning.show()
        else:
            self.warning.hide()

    @staticmethod
    def _samples_caption(values: CardValues) -> str:
        parts = ["last 2 s" if values.live else "whole timed window"]
        if values.batch_size:
            parts.append(f"batch {values.batch_size}")
        return " · ".join(parts)

    @staticmethod
    def _speedup_caption(values: CardValues) -> str:
        kind = values.speedup_kind
        if kind == "baseline":
            return values.speedup_label
        if kind == "repeat":
            return "vs the same run before: not a speedup"
        if kind == "settings":
            return values.speedup_label
        if values.speedup is not None and values.baseline_samples_per_s:
            return f"{values.speedup_label}: CPU did {units.rate(values.baseline_samples_per_s, values.sample_unit)}"
        if values.baseline_samples_per_s:
            return f"CPU did {units.rate(values.baseline_samples_per_s, values.sample_unit)}"
        return "no comparable CPU run yet"

    def _set_badge(self, kind: str, text: str) -> None:
        if kind == self._badge_kind:
            return
        self._badge_kind = kind
        self.badge.setText(text)
        self.badge.setProperty("kind", kind)
        self.badge.style().unpolish(self.badge)
        self.badge.style().polish(self.badge)
