"""`make eval`: does skimscan still catch a skimmer once it is obfuscated — statically, by
detonation in the browser, and both together?

The fixtures are written in the clear, so `make test` says little about skimmers as they are
found in the wild, nearly always run through javascript-obfuscator first. This harness makes
obfuscated twins of every fixture script with the pinned javascript-obfuscator (see
tools/eval/package.json; installed with `npm ci` into .cache/eval/node) under presets from light
to heavy, scans each set in-process with a cold engine (no disk cache, so results are never
stale) and prints, per preset, how many malicious scripts are still called malicious and how
many benign ones are wrongly called malicious. It is a measurement, not a gate: it exits 0
unless the harness itself fails, and it is not part of `make test`.

Detonation (`--detonate-presets`, default `original,heavy`; `all`, or `none`): the same files
run with `scan-file --detonate always` on the synthetic checkout, and the table shows three
columns — static only, detonation only, both. Runtime behaviour does not change with the
obfuscator preset, so two presets measure it; `all` measures every one (an hour or more on two
cores). Detonation results are cached in .cache/eval/detonations (keyed by the file, the
settings and a hash of skimscan's code), so a re-run only detonates what changed.

Checkout pages (tools/eval_pages.py; `--pages-only`, `--no-pages`): channel pages written
blind are scanned as `skimscan scan` does; the drop host's own log says whether the card leaked.

Inputs are the `.js` files under `<set>/malicious` and `<set>/benign` (the folder is the
expected verdict) of each set in SETS that exists. Twins are cached under
.cache/eval/twins/<preset>/<sha256 of the input>.js, and a folder is emptied when the
obfuscator version or the preset's options change, so a re-run only obfuscates what changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from skimscan.analyze.rules import RuleSet, load_rules  # noqa: E402
from skimscan.models import Severity, TargetReport, Verdict  # noqa: E402
from skimscan.pipeline import Engine, EngineOptions, scan_files  # noqa: E402

DETONATIONS = ROOT / ".cache" / "eval" / "detonations"
DEFAULT_DETONATE = ("original", "heavy")

EVAL_DIR = ROOT / "tools" / "eval"
CACHE = ROOT / ".cache" / "eval"
NODE_DIR = CACHE / "node"
TWINS = CACHE / "twins"
SETS = {"fixtures": "fixtures/scripts", "blind": "fixtures/eval/blind",
        "blind2": "fixtures/eval/blind2",
        "decoders": "fixtures/eval/decoders", "detonate": "fixtures/detonate",
        "legacy": "fixtures/eval/legacy"}
EXPECTED = ("malicious", "benign")
ORIGINAL = "original"
LOCK_FILES = ("package.json", "package-lock.json")


class HarnessError(Exception):
    """The harness itself cannot run (as opposed to a file that fails: that is a result)."""


@dataclass(frozen=True)
class Input:
    set: str
    expected: str  # "malicious" or "benign"
    path: Path
    sha256: str

    @property
    def name(self) -> str:
        return str(self.path.relative_to(ROOT))


@dataclass(frozen=True)
class Result:
    preset: str
    input: Input
    twin: Path | None  # None: the obfuscator failed
    verdict: str  # a Verdict value, or "obfuscator failed"
    detail: str = ""  # the strongest finding, or the error
    rules: tuple[str, ...] = ()
    detonated: str | None = None  # the detonation's own verdict (None: not detonated)
    both: str | None = None  # the verdict of static analysis and detonation together


OBF_FAILED = "obfuscator failed"


# --- the obfuscator ---------------------------------------------------------------------------


def ensure_obfuscator() -> None:
    """`npm ci` the pinned obfuscator into .cache/eval/node unless the lock is unchanged."""
    installed = NODE_DIR / "node_modules" / "javascript-obfuscator" / "package.json"
    if installed.exists() and all(
        (NODE_DIR / f).exists() and (NODE_DIR / f).read_bytes() == (EVAL_DIR / f).read_bytes()
        for f in LOCK_FILES
    ):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise HarnessError("npm not found on PATH (needed to install javascript-obfuscator)")
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    for f in LOCK_FILES:
        shutil.copyfile(EVAL_DIR / f, NODE_DIR / f)
    done = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                          cwd=NODE_DIR, check=False)
    if done.returncode != 0:
        raise HarnessError(f"npm ci in {NODE_DIR} failed (exit {done.returncode})")


def node(*args: str, stdin: str = "") -> str:
    exe = shutil.which("node")
    if exe is None:
        raise HarnessError("node not found on PATH")
    env = {**os.environ, "NODE_PATH": str(NODE_DIR / "node_modules")}
    done = subprocess.run([exe, str(EVAL_DIR / "obfuscate.js"), *args], input=stdin,
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise HarnessError(f"obfuscate.js {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def make_twins(preset: str, options: dict[str, Any], version: str,
               inputs: Sequence[Input]) -> tuple[dict[Input, Path | str], float]:
    """Input -> twin path, or the obfuscator's error; and the seconds spent obfuscating."""
    folder = TWINS / preset
    key = json.dumps({"version": version, "options": options}, sort_keys=True)
    stamp = folder / "KEY.json"
    if not stamp.exists() or stamp.read_text() != key:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        stamp.write_text(key)
    out: dict[Input, Path | str] = {}
    todo: list[Input] = []
    for item in inputs:
        twin, err = folder / f"{item.sha256}.js", folder / f"{item.sha256}.err"
        if twin.exists():
            out[item] = twin
        elif err.exists():
            out[item] = err.read_text()
        else:
            todo.append(item)
    started = time.monotonic()
    if todo:
        jobs = [{"input": str(i.path), "output": str(folder / f"{i.sha256}.js")} for i in todo]
        by_path = {str(i.path): i for i in todo}
        for line in node(preset, stdin=json.dumps(jobs)).splitlines():
            answer = json.loads(line)
            item = by_path.pop(answer["input"])
            if answer["ok"]:
                out[item] = folder / f"{item.sha256}.js"
            else:
                (folder / f"{item.sha256}.err").write_text(answer["error"])
                out[item] = answer["error"]
        for item in by_path.values():  # no answer at all: count it as a failure, uncached
            out[item] = "no answer from obfuscate.js"
    return out, time.monotonic() - started


# --- inputs and scanning ----------------------------------------------------------------------


def gather_inputs(sets: Iterable[str]) -> list[Input]:
    inputs = []
    for name in sets:
        for expected in EXPECTED:
            folder = ROOT / SETS[name] / expected
            for path in sorted(folder.rglob("*.js")) if folder.is_dir() else []:
                sha = hashlib.sha256(path.read_bytes()).hexdigest()
                inputs.append(Input(name, expected, path, sha))
    return inputs


def scan(paths: Sequence[Path], rules: RuleSet, jobs: int | None,
         detonate: bool = False) -> tuple[dict[str, TargetReport], dict[str, TargetReport]]:
    """Cold static analysis of `paths` (a fresh engine with no disk cache); with `detonate`,
    the same report after `--detonate always` too (static, both)."""
    engine = Engine(EngineOptions(use_disk_cache=False, jobs=jobs, known_builds=False),
                    rules=rules)
    report = scan_files(paths, engine=engine)  # skimscan.pipeline's: static only
    static = {t.target: t for t in report.targets}
    if not detonate:
        return static, {}
    import asyncio

    from skimscan.detonate import DetonationOptions, adetonate

    both = asyncio.run(adetonate(report, engine, "always", DetonationOptions(concurrency=2),
                                 cache_dir=DETONATIONS))
    return static, {t.target: t for t in both.targets}


def judge(preset: str, item: Input, twin: Path | str, reports: dict[str, TargetReport],
          both: dict[str, TargetReport]) -> Result:
    if isinstance(twin, str):
        return Result(preset, item, None, OBF_FAILED, twin)
    t = reports[str(twin)]
    top = next((f for f in t.findings if f.severity >= Severity.MEDIUM), None)
    detail = f"{top.rule}: {top.message}" if top else (t.error or "")
    detonated = merged = None
    if str(twin) in both:
        full = both[str(twin)]
        merged = full.verdict.value
        detonated = str(full.detonation.get("verdict", "not detonated"))
        if detonated != Verdict.MALICIOUS.value:
            detail += f" | detonation: {detonated} {full.detonation.get('error') or ''}".rstrip()
    return Result(preset, item, twin, t.verdict.value, detail,
                  tuple(sorted({f.rule for f in t.findings})), detonated, merged)


# --- the report -------------------------------------------------------------------------------


def ratio(n: int, total: int) -> str:
    return f"{n}/{total} ({100 * n / total:.0f}%)" if total else "-"


def _counts(results: Sequence[Result], verdict_of: Any) -> tuple[str, str]:
    mal = [r for r in results if r.input.expected == "malicious"]
    ben = [r for r in results if r.input.expected == "benign"]
    hit = sum(verdict_of(r) == Verdict.MALICIOUS.value for r in mal)
    false = sum(verdict_of(r) == Verdict.MALICIOUS.value for r in ben)
    return ratio(hit, len(mal)), ratio(false, len(ben))


def add_row(table: Table, label: list[str], results: Sequence[Result], *extra: str,
            detonation: bool = False) -> None:
    scanned = [r for r in results if r.verdict != OBF_FAILED]
    mal = [r for r in scanned if r.input.expected == "malicious"]
    ben = [r for r in scanned if r.input.expected == "benign"]
    sus_m = sum(r.verdict == Verdict.SUSPICIOUS.value for r in mal)
    sus_b = sum(r.verdict == Verdict.SUSPICIOUS.value for r in ben)
    errors = sum(r.verdict == Verdict.ERROR.value for r in scanned)
    failed = len(results) - len(scanned)
    static = _counts(scanned, lambda r: r.verdict)
    if detonation:
        ran = [r for r in scanned if r.detonated is not None]
        det = _counts(ran, lambda r: r.detonated) if ran else ("-", "-")
        both = _counts(ran, lambda r: r.both) if ran else ("-", "-")
        table.add_row(*label, static[0], det[0], both[0], static[1], det[1], both[1],
                      f"{sus_m} / {sus_b}", str(errors), str(failed), *extra)
        return
    table.add_row(*label, *static, f"{sus_m} / {sus_b}", str(errors), str(failed), *extra)


def new_table(title: str, first: Sequence[str], last: Sequence[str] = (),
              detonation: bool = False) -> Table:
    table = Table(title=title, title_justify="left")
    for name in first:
        table.add_column(name, no_wrap=True)
    caught = (("malicious: static", "detonation", "both", "benign → malicious: static",
               "detonation", "both") if detonation
              else ("malicious caught", "benign → malicious"))
    for name in (*caught, "suspicious mal/ben (static)", "errors", "obf. failed", *last):
        table.add_column(name, justify="right", no_wrap=True)
    return table


def print_report(console: Console, results: dict[str, list[Result]],
                 seconds: dict[str, float], sets: Sequence[str], verbose: bool) -> None:
    detonation = any(r.detonated is not None for rows in results.values() for r in rows)
    table = new_table("skimscan vs javascript-obfuscator — all sets", ["preset"],
                      ["seconds"], detonation)
    for preset, rows in results.items():
        add_row(table, [preset], rows, f"{seconds[preset]:.1f}", detonation=detonation)
    console.print(table)
    if detonation:
        console.print("detonation / both: only presets that were detonated "
                      "(--detonate-presets); '-' where none was")
    present = [s for s in sets if any(r.input.set == s for rows in results.values()
                                      for r in rows)]
    if len(present) > 1:
        sub = new_table("per input set", ["set", "preset"], detonation=detonation)
        for s in present:
            for preset, rows in results.items():
                add_row(sub, [s, preset], [r for r in rows if r.input.set == s],
                        detonation=detonation)
            sub.add_section()
        console.print(sub)
    else:
        console.print(f"(one input set present: {', '.join(present) or 'none'}; "
                      "its sub-total is the table above)")
    if verbose:
        for preset, rows in results.items():
            missed = [r for r in rows if r.input.expected == "malicious"
                      and (r.both or r.verdict) not in (Verdict.MALICIOUS.value, OBF_FAILED)]
            wrong = [r for r in rows if r.input.expected == "benign"
                     and Verdict.MALICIOUS.value in (r.verdict, r.detonated)]
            failed = [r for r in rows if r.verdict == OBF_FAILED]
            console.print(f"\n[bold]{preset}[/]: {len(missed)} malicious missed, "
                          f"{len(wrong)} benign called malicious, {len(failed)} not obfuscated")
            for label, group in (("missed", missed), ("false positive", wrong),
                                 ("obfuscator failed", failed)):
                for r in group:
                    why = f"{r.verdict}: {r.detail}" if r.detail else r.verdict
                    console.print(f"  {label:<17} {r.input.name} [dim]{escape(why)}[/]",
                                  no_wrap=True, overflow="ellipsis")


def write_json(path: Path, version: str, options: dict[str, Any],
               results: dict[str, list[Result]], seconds: dict[str, dict[str, float]]) -> None:
    doc = {
        "obfuscator": {"name": "javascript-obfuscator", "version": version},
        "presets": {p: options.get(p) for p in results},
        "seconds": seconds,
        "results": [
            {"preset": r.preset, "set": r.input.set, "expected": r.input.expected,
             "file": r.input.name, "input_sha256": r.input.sha256,
             "twin": str(r.twin.relative_to(ROOT)) if r.twin else None,
             "verdict": r.verdict, "detail": r.detail, "rules": list(r.rules),
             "detonation": r.detonated, "both": r.both}
            for rows in results.values() for r in rows
        ],
    }
    path.write_text(json.dumps(doc, indent=1) + "\n")


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--preset", action="append", metavar="NAME",
                   help="only this preset (repeatable; 'original' is always included)")
    p.add_argument("--set", action="append", metavar="NAME", choices=list(SETS),
                   help=f"only this input set (repeatable): {', '.join(SETS)}")
    p.add_argument("--json", type=Path, metavar="FILE", help="write every per-file verdict")
    p.add_argument("--jobs", type=int, metavar="N",
                   help="analysis worker processes and parallel obfuscator runs "
                        "(default: one per core)")
    p.add_argument("--detonate-presets", default=",".join(DEFAULT_DETONATE), metavar="LIST",
                   help="presets whose files are also detonated in the browser: a comma list, "
                        f"'all' or 'none' (default {','.join(DEFAULT_DETONATE)})")
    p.add_argument("--no-pages", action="store_true",
                   help="skip the checkout pages (tools/eval_pages.py: scanned in the browser)")
    p.add_argument("--pages-only", action="store_true", help="only the checkout pages")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="list missed malicious and misjudged benign files per preset")
    return p.parse_args(argv)


def run(args: argparse.Namespace, console: Console) -> None:
    wall = time.monotonic()
    ensure_obfuscator()
    described = json.loads(node("--describe"))
    version: str = described["version"]
    options: dict[str, dict[str, Any]] = described["presets"]
    wanted = args.preset or list(options)
    unknown = [p for p in wanted if p not in options and p != ORIGINAL]
    if unknown:
        raise HarnessError(f"unknown preset(s) {', '.join(unknown)}; "
                           f"known: {ORIGINAL}, {', '.join(options)}")
    presets = [p for p in options if p in wanted]
    sets = args.set or list(SETS)
    inputs = gather_inputs(sets)
    if not inputs:
        raise HarnessError(f"no .js inputs under {', '.join(SETS[s] for s in sets)}")
    console.print(f"javascript-obfuscator {version}; {len(inputs)} inputs "
                  f"({sum(i.expected == 'malicious' for i in inputs)} malicious); presets: "
                  f"{', '.join([ORIGINAL, *presets])}")

    twins: dict[str, dict[Input, Path | str]] = {ORIGINAL: {i: i.path for i in inputs}}
    obf_seconds: dict[str, float] = {ORIGINAL: 0.0}
    workers = max(1, min(args.jobs or os.cpu_count() or 1, len(presets) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {p: pool.submit(make_twins, p, options[p], version, inputs) for p in presets}
        for p, future in futures.items():
            twins[p], obf_seconds[p] = future.result()
    console.print("obfuscation seconds (0.0: all cached): " + ", ".join(
        f"{p} {s:.1f}" for p, s in obf_seconds.items() if p != ORIGINAL))

    rules = load_rules()
    results: dict[str, list[Result]] = {}
    seconds: dict[str, float] = {}
    wanted_det = args.detonate_presets.strip().lower()
    detonated = (set(twins) if wanted_det == "all" else set() if wanted_det == "none"
                 else {p.strip() for p in wanted_det.split(",") if p.strip()})
    for preset, mapping in twins.items():
        paths = [t for t in mapping.values() if isinstance(t, Path)]
        started = time.monotonic()
        what = "scanning and detonating" if preset in detonated else "scanning"
        with console.status(f"{what} {len(paths)} files ({preset}) …"):
            reports, both = scan(paths, rules, args.jobs, preset in detonated)
        seconds[preset] = time.monotonic() - started
        results[preset] = [judge(preset, i, mapping[i], reports, both) for i in inputs]
    print_report(console, results, seconds, sets, args.verbose)
    console.print(f"seconds = cold static analysis of the preset's files (and their detonation, "
                  f"cached in {DETONATIONS.relative_to(ROOT)}); the whole run took "
                  f"{time.monotonic() - wall:.0f} s")
    if args.json:
        write_json(args.json, version, options, results, {
            p: {"scan": round(seconds[p], 2), "obfuscate": round(obf_seconds[p], 2)}
            for p in results})
        console.print(f"per-file verdicts written to {args.json}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=max(120, Console().width))
    try:
        if not args.pages_only:
            run(args, console)
        if not args.no_pages:
            import eval_pages  # checkout pages: the quarantine and the canary, written blind

            console.print(escape(eval_pages.run(verbose=args.verbose)))
    except HarnessError as exc:
        console.print(f"[magenta]eval: {escape(str(exc))}[/]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
