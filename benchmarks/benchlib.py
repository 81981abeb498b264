"""What the bench_*.py scripts share: millisecond formatting, percentiles and the result table
(rich when installed, plain columns otherwise). Not a benchmark itself: `nox -s bench` runs
bench_*.py only."""

from __future__ import annotations


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def show(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(f"\n{title}")
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
        return
    table = Table(title=title)
    for name in header:
        table.add_column(name)
    for row in rows:
        table.add_row(*row)
    Console(width=max(100, Console().width)).print(table)
