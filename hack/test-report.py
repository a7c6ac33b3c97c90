#!/usr/bin/env python3
"""Counts what ran: per test suite (Surefire XML reports under */target/surefire-reports), how many tests ran,
failed and were skipped, with each skip's reason, so a reader of a CI log can see that nothing vanished.
Exits 1 when a suite reports zero tests or a failure.

  test-report.py [ROOT]
"""
import glob, os, sys
import xml.etree.ElementTree as ET

root = sys.argv[1] if len(sys.argv) > 1 else "."
rows, reasons, bad = [], {}, False
for path in sorted(glob.glob(os.path.join(root, "*", "target", "surefire-reports", "TEST-*.xml"))):
    suite = ET.parse(path).getroot()
    module = path.split(os.sep)[-4]
    name = suite.get("name").rsplit(".", 1)[-1]
    tests, skipped = int(suite.get("tests")), int(suite.get("skipped"))
    failed = int(suite.get("failures")) + int(suite.get("errors"))
    rows.append((module, name, tests - skipped, failed, skipped))
    for case in suite.iter("testcase"):
        s = case.find("skipped")
        if s is not None:
            why = (s.get("message") or s.text or "no reason given").strip().splitlines()[0][:160]
            reasons.setdefault((module, name, why), 0)
            reasons[(module, name, why)] += 1
    if tests == 0 or failed:
        bad = True

print(f"{'module':<10} {'suite':<34} {'ran':>5} {'failed':>6} {'skipped':>7}")
for m, n, ran, failed, skipped in rows:
    print(f"{m:<10} {n:<34} {ran:>5} {failed:>6} {skipped:>7}" + ("   <- no test ran" if ran + skipped == 0 else ""))
tot = [sum(r[i] for r in rows) for i in (2, 3, 4)]
print(f"{'total':<10} {len(rows):>3} suites{'':<23} {tot[0]:>5} {tot[1]:>6} {tot[2]:>7}")
for (m, n, why), count in sorted(reasons.items()):
    print(f"  skipped {count} in {m}/{n}: {why}")
sys.exit(1 if bad else 0)
