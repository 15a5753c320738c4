"""The building blocks of Horsepower's HTML pages: escaping, tables, sections, the page.

Every piece of data passes through ``html.escape``; a page has no scripts and loads nothing
(inline CSS). Tables have a real header row or none (key-value tables), rows that are n/a
throughout are dropped, and the CSS prints on A4 or Letter without cutting a table or chart.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from html import escape

from profiler import __version__, units

CSS = """
:root{--ink:#111827;--muted:#6B7280;--rule:#E5E7EB;--accent:#2563EB;--warn:#92400E}
*{box-sizing:border-box}
body{font-family:"Segoe UI",Helvetica,Arial,sans-serif;max-width:1000px;margin:28px auto;
 color:var(--ink);padding:0 16px;font-size:14px;line-height:1.45}
h1{font-size:24px;margin:0 0 2px}
h2{font-size:16px;margin:26px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--rule)}
h3{font-size:14px;margin:14px 0 6px}
p{margin:6px 0}
.muted{color:var(--muted);font-size:12px}
code{font-family:Consolas,"DejaVu Sans Mono",monospace;font-size:0.95em;background:#F3F4F6;padding:0 3px;
 border-radius:3px}
.headline{border:1px solid #BFDBFE;background:#EFF6FF;border-radius:10px;padding:14px 18px;margin:16px 0}
.headline .big{font-size:21px;font-weight:650;line-height:1.3}
.headline .basis{color:#374151;font-size:13px;margin-top:6px}
.headline.busy{border-color:#F59E0B;background:#FFFBEB}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px;width:100%}
th{background:#F9FAFB;font-weight:600;text-align:left;border-bottom:1px solid #D1D5DB;padding:5px 8px}
td{border-bottom:1px solid var(--rule);padding:5px 8px;vertical-align:top}
td.num,th.num{text-align:right;white-space:nowrap}
table.ranked{font-size:12.5px}
table.ranked td,table.ranked th{padding:5px 6px}
table.ranked td:nth-child(2){min-width:112px}
table.ranked td:nth-child(3){min-width:128px}
table.ranked td:nth-child(4){min-width:92px}
table.ranked th.num{white-space:normal}
table.ranked .band{display:block;color:var(--muted);font-size:11px}
table.ranked .tag{color:var(--muted);font-size:11px}
table.kv{width:auto;min-width:50%}
table.kv td:first-child{color:#374151;font-weight:600;white-space:nowrap;padding-right:18px}
.dim{color:#9CA3AF}
ul.caveats{padding-left:20px;margin:6px 0}
ul.caveats li{margin:3px 0}
.warn{color:var(--warn)}
dl.meaning{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;margin:6px 0;font-size:13px}
dl.meaning dt{font-weight:600}
dl.meaning dd{margin:0;color:#374151}
.chart{margin:6px 0}
.run{border-top:1px solid var(--rule);padding-top:6px;margin-top:10px}
footer{margin-top:28px;color:var(--muted);font-size:12px;border-top:1px solid var(--rule);padding-top:8px}
.chart svg{max-width:100%;height:auto}
@media print{
 @page{size:A4;margin:11mm}
 body{margin:0;max-width:none;font-size:9.5px;line-height:1.3}
 h1{font-size:17px}h2{font-size:12px;break-after:avoid;margin:10px 0 4px}h3{font-size:10.5px;margin:6px 0 3px}
 .headline{padding:8px 12px;margin:8px 0}.headline .big{font-size:15px}.headline .basis{font-size:10px}
 table{font-size:9px;margin:3px 0 6px}td,th{padding:2px 5px}
 table.ranked{font-size:8.5px}table.ranked .band,table.ranked .tag{font-size:7.5px}
 table.ranked td:nth-child(2){min-width:72px}table.ranked td:nth-child(3){min-width:84px}
 table.ranked td:nth-child(4){min-width:60px}
 dl.meaning{font-size:9px;gap:1px 10px}
 .charts{display:flex;gap:10px;align-items:flex-start}.charts .chart{flex:1 1 50%}
 table,svg,.headline,.run,dl.meaning,.charts{break-inside:avoid}
 .details{break-before:page}
 footer{font-size:8.5px;margin-top:10px}
 p,.muted{font-size:9px;margin:3px 0}
 table.kv td{padding:1px 5px}
 ul.caveats li{margin:1px 0}
 a{color:inherit;text-decoration:none}
}
"""


def esc(value: object) -> str:
    return escape(str(value))


def is_na(text: str) -> bool:
    return text in ("", units.NA)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = (),
          drop_empty_columns: bool = True) -> str:
    """A table with one header row; ``numeric`` columns right-aligned; a column that is
    n/a in every row is left out (it tells the reader nothing)."""
    keep = [i for i in range(len(headers))
            if not drop_empty_columns or not rows or any(not is_na(row[i]) for row in rows)]

    def cls(i: int) -> str:
        return ' class="num"' if i in numeric else ""

    head = "".join(f"<th{cls(i)}>{esc(headers[i])}</th>" for i in keep)
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{esc(row[i])}</td>" for i in keep) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def kv(rows: Sequence[tuple[str, str]]) -> str:
    """A two-column key-value table with no header row; rows whose value is n/a are left out."""
    shown = [(k, v) for k, v in rows if not is_na(v)]
    if not shown:
        return ""
    body = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in shown)
    return f'<table class="kv"><tbody>{body}</tbody></table>'


def section(title: str, body: str, cls: str = "") -> str:
    """``<h2>`` plus body; an empty body gives no section at all."""
    if not body.strip():
        return ""
    klass = f' class="{cls}"' if cls else ""
    return f"<section{klass}><h2>{esc(title)}</h2>{body}</section>"


def bullet_list(items: Sequence[str], cls: str = "caveats") -> str:
    if not items:
        return ""
    return f'<ul class="{cls}">' + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def page(title: str, sections: Sequence[str], subtitle: str = "") -> str:
    """A whole self-contained page."""
    stamp = time.strftime("%Y-%m-%d %H:%M")
    sub = f"{subtitle} · " if subtitle else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width\"><title>{esc(title)}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1><p class=\"muted\">{esc(sub)}Generated {esc(stamp)} by Horsepower "
        f"{esc(__version__)}</p>"
        + "".join(s for s in sections if s)
        + "<footer>Every figure is measured on the machine described above: warm-up until step "
          "time settles, then a timed window with the device synchronized at its ends. FLOPs are "
          "counted, not assumed; n/a means the hardware or the run could not give the reading."
          "</footer></body></html>\n"
    )
