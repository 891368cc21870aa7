"""Record (or check) the golden summaries: ``python tests/golden/record.py [--check]``.

The golden files pin the numbers of both shipped scenarios and of every v1 test
config of ``tests/test_reference.py`` for a fixed (seed, paths, block size): a
refactor or a model extension that keeps v1 configs bit-identical leaves them
unchanged (MODEL.md section 8).  Only the fields that describe the run rather
than its numbers are left out (``VOLATILE``).

A summary matches its golden file when every field of the golden file is
present with exactly the same value (compared as JSON text): fields added later
(model v2's ``commitments``, say) are allowed, changed numbers are not.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

VOLATILE = ("runtime_seconds", "paths_per_second", "includes_jit_compilation", "threads", "version", "config_hash")

SHIPPED = {"pinterest_aws_2031": dict(paths=20_000, seed=3, block_size=4096),
           "pinterest_aws_2031_filings": dict(paths=20_000, seed=5, block_size=3000)}
SKETCH = dict(paths=6_000, seed=11, block_size=1024, quantiles="sketch")
CRAFTED_RUN = dict(paths=3_000, seed=7, block_size=1024)


def stable(summary: dict) -> dict:
    """The summary without the fields that describe how the run went (time, threads, version)."""
    return {k: v for k, v in summary.items() if k not in VOLATILE}


def cases():
    """Yield (file stem, config, run keywords)."""
    for name, kw in SHIPPED.items():
        yield name, name, kw
    yield "pinterest_aws_2031-sketch", "pinterest_aws_2031", SKETCH
    # every v1 mechanism alone (and all together at n = 1, 2, 12), frozen from the
    # crafted configs of the kernel-vs-reference tests when the golden files were made
    for name, config in json.loads((HERE / "v1_configs.json").read_text()).items():
        yield "crafted-" + name, config, CRAFTED_RUN


def summary_text(config, kw) -> str:
    import sim

    result = sim.run(config, threads=1, **kw)
    return json.dumps(stable(result.summary), indent=1, sort_keys=True, allow_nan=True)


def visible_text(html: str) -> str:
    """What a reader of an HTML page sees: the text between tags, whitespace collapsed, one line per block."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts, self.skip = [], 0

        def handle_starttag(self, tag, attrs):
            self.skip += tag in ("style", "script")

        def handle_endtag(self, tag):
            self.skip -= tag in ("style", "script")

        def handle_data(self, data):
            if not self.skip and data.strip():
                self.parts.append(" ".join(data.split()))

    parser = Text()
    parser.feed(html)
    return "\n".join(parser.parts) + "\n"


def report_texts() -> dict[str, str]:
    """The default scenario's Markdown report and the visible text of its HTML report."""
    import tempfile

    import sim
    from sim.report import write_report

    result = sim.run("pinterest_aws_2031", threads=1, **SHIPPED["pinterest_aws_2031"])
    # the report's provenance shows how the run went: pin it so the text is comparable
    result.summary.update(runtime_seconds=1.0, paths_per_second=20_000.0, includes_jit_compilation=False, threads=1)
    with tempfile.TemporaryDirectory() as tmp:
        write_report(result, tmp, ("html", "md"))
        md = Path(tmp, "report.md").read_text()
        html = Path(tmp, "report.html").read_text()
    return {"report-pinterest_aws_2031.md": md, "report-pinterest_aws_2031.html.txt": visible_text(html)}


def outputs():
    """Yield (golden file name, text) for every golden file."""
    for stem, config, kw in cases():
        yield f"{stem}.json", summary_text(config, kw)
    yield from report_texts().items()


def differences(name: str, text: str) -> list[str]:
    """What differs between golden file ``name`` and the new ``text``: the changed or missing
    summary fields (JSON), or the whole text (reports)."""
    golden = (HERE / name).read_text()
    if not name.endswith(".json"):
        return [] if golden == text else ["text"]
    old, new = json.loads(golden), json.loads(text)
    return [k for k, v in old.items() if k not in new or json.dumps(new[k], sort_keys=True) != json.dumps(v, sort_keys=True)]


def main(check: bool) -> int:
    bad = 0
    for name, text in outputs():
        path = HERE / name
        if check:
            diff = differences(name, text)
            if diff:
                print("DIFFERS:", name, ", ".join(diff[:8]))
                bad += 1
        else:
            path.write_text(text)
    print("checked" if check else "recorded", "; differences:", bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv))
